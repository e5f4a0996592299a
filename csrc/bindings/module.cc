// The extension module zhtok._core. Bindings only convert arguments, release the GIL and map
// errors; every algorithm lives in the core.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace zhtok::bindings {
void register_errors(py::module_& m);
void bind_segment(py::module_& m);
void bind_train(py::module_& m);
void bind_bpe(py::module_& m);
void bind_io(py::module_& m);
}  // namespace zhtok::bindings

PYBIND11_MODULE(_core, m) {
  m.doc() = "zhtok's C++ core";
  zhtok::bindings::register_errors(m);
  zhtok::bindings::bind_segment(m);
  zhtok::bindings::bind_train(m);
  zhtok::bindings::bind_bpe(m);
  zhtok::bindings::bind_io(m);
  m.attr("__version__") = ZHTOK_VERSION;
}

// The extension module zhtok._core. Bindings only convert arguments, release the GIL and map
// errors; every algorithm lives in the core.
#include <pybind11/pybind11.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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
  // glibc gives each thread that allocates a heap of its own; blocks one thread frees in
  // another's heap are kept there, so a reader thread, encoding threads and Python's main
  // thread hold several part-empty heaps that grow over a long run (110 MB peak for a 100 MB
  // zhtok encode, 113 MB for 1 GB; 97 and 99 MB with one heap, at the same speed). The CLI limits
  // its own process; a library must not change its host's allocator, so nothing else calls it.
  m.def(
      "limit_malloc_arenas",
      [](int n) {
#if defined(__GLIBC__)
        return mallopt(M_ARENA_MAX, n) == 1;
#else
        return false;
#endif
      },
      py::arg("n"),
      "Caps glibc's malloc arenas (heaps) at n for threads that start allocating after the call; "
      "False where the allocator is not glibc's.");
}

// Maps zhtok::Error to the exception classes of zhtok/errors.py, copying where it happened into
// attributes (path, line, offset) so callers need not parse messages.
#include <pybind11/pybind11.h>

#include "common/error.h"

namespace py = pybind11;

namespace zhtok::bindings {

void register_errors(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      py::module_ errors = py::module_::import("zhtok.errors");
      const char* name = "ZhtokError";
      switch (e.kind()) {
        case ErrorKind::Input: name = "InputError"; break;
        case ErrorKind::Format: name = "FormatError"; break;
        case ErrorKind::Io: name = "ZhtokIOError"; break;
        case ErrorKind::Internal: name = "ZhtokError"; break;
      }
      py::object cls = errors.attr(name);
      py::object exc = cls(e.what());
      exc.attr("path") = e.path().empty() ? py::object(py::none()) : py::object(py::str(e.path()));
      exc.attr("line") = e.line() > 0 ? py::object(py::int_(e.line())) : py::object(py::none());
      exc.attr("offset") = e.offset() >= 0 ? py::object(py::int_(e.offset())) : py::object(py::none());
      PyErr_SetObject(cls.ptr(), exc.ptr());
    }
  });
}

}  // namespace zhtok::bindings

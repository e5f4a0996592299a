#include "bindings/text.h"

#include <algorithm>
#include <thread>

#include "common/error.h"

namespace zhtok::bindings {

TextArg::TextArg(py::handle obj, const std::string& errors) {
  if (errors == "replace") mode_ = InvalidUtf8::Replace;
  else if (errors != "strict")
    throw py::value_error("errors must be 'strict' or 'replace', not '" + errors + "'");
  keep_ = py::reinterpret_borrow<py::object>(obj);
  if (PyUnicode_Check(obj.ptr())) {
    is_str_ = true;
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(obj.ptr(), &size);
    if (data) {
      view_ = std::string_view(data, static_cast<size_t>(size));
      return;
    }
    PyErr_Clear();  // lone surrogates: carry them as WTF-8
    PyObject* b = PyUnicode_AsEncodedString(obj.ptr(), "utf-8", "surrogatepass");
    if (!b) throw py::error_already_set();
    py::object bytes = py::reinterpret_steal<py::object>(b);
    owned_.assign(PyBytes_AS_STRING(b), static_cast<size_t>(PyBytes_GET_SIZE(b)));
    surrogates_ = true;
    return;
  }
  if (PyBytes_Check(obj.ptr())) {
    view_ = std::string_view(PyBytes_AS_STRING(obj.ptr()),
                             static_cast<size_t>(PyBytes_GET_SIZE(obj.ptr())));
    return;
  }
  throw py::type_error(std::string("text must be str or bytes, not ") +
                       Py_TYPE(obj.ptr())->tp_name);
}

void TextArg::decode(Runes& out) const { decode_utf8(view(), out, mode_, surrogates_); }

py::str TextArg::slice(size_t begin, size_t end) const {
  const char* errors = surrogates_ ? "surrogatepass" : "replace";
  PyObject* s = PyUnicode_DecodeUTF8(view().data() + begin, static_cast<Py_ssize_t>(end - begin),
                                     errors);
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

py::str TextArg::unit_slice(size_t begin, size_t end) const {
  return is_str_ ? str_slice(keep_, begin, end) : slice(begin, end);
}

py::str str_slice(py::handle str, size_t begin, size_t end) {
  PyObject* s = PyUnicode_Substring(str.ptr(), Py_ssize_t(begin), Py_ssize_t(end));
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

size_t thread_count(size_t requested, size_t n) {
  size_t t = requested ? requested : std::max(1u, std::thread::hardware_concurrency());
  return std::max<size_t>(1, std::min(t, n));
}

namespace {

// The int objects of token ids: lent by `shared` when the caller has one (the Python
// tokenizer makes its ids' ints once, a list whose item k is the int k), so that a list holds
// references to them instead of an int per token, freed again with the list (encode_batch
// 8-10% faster on one thread, line by line 3-7%); made afresh otherwise.
class IdInts {
 public:
  explicit IdInts(PyObject* shared)
      : shared_(shared && PyList_CheckExact(shared) ? shared : nullptr),
        shared_size_(shared_ ? size_t(PyList_GET_SIZE(shared_)) : 0) {}
  // A new reference to the int id.
  PyObject* get(uint32_t id) const {
    if (id < shared_size_) {
      PyObject* v = PyList_GET_ITEM(shared_, Py_ssize_t(id));
      Py_INCREF(v);
      return v;
    }
    PyObject* v = PyLong_FromUnsignedLong(id);
    if (!v) throw py::error_already_set();
    return v;
  }

 private:
  PyObject* shared_;  // a list whose item k is the int k, or null
  size_t shared_size_;
};

// A new reference to a list of the ints of ids[0..n).
PyObject* new_id_list(const uint32_t* ids, size_t n, const IdInts& ints) {
  PyObject* list = PyList_New(Py_ssize_t(n));
  if (!list) throw py::error_already_set();
  py::list owned = py::reinterpret_steal<py::list>(list);  // freed if an int cannot be made
  for (size_t i = 0; i < n; ++i) PyList_SET_ITEM(list, Py_ssize_t(i), ints.get(ids[i]));
  return owned.release().ptr();
}

}  // namespace

py::list id_list(const uint32_t* ids, size_t n, py::handle shared_ints) {
  IdInts ints(shared_ints.ptr());
  return py::reinterpret_steal<py::list>(new_id_list(ids, n, ints));
}

py::list id_lists(const std::vector<IdRuns>& runs, py::handle shared_ints) {
  GcPause pause;
  size_t n = 0;
  for (const IdRuns& r : runs) n += r.lengths.size();
  IdInts ints(shared_ints.ptr());
  py::list out(n);
  size_t i = 0;
  for (const IdRuns& r : runs) {
    const uint32_t* ids = r.ids.data();
    for (int64_t len : r.lengths) {
      PyList_SET_ITEM(out.ptr(), Py_ssize_t(i++), new_id_list(ids, size_t(len), ints));
      ids += len;
    }
  }
  return out;
}

}  // namespace zhtok::bindings

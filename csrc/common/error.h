// Errors thrown by the core. The core throws, never aborts: every failure that input can cause
// reaches Python as a typed exception (see bindings/errors.cc) carrying where it happened.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace zhtok {

enum class ErrorKind { Input, Format, Io, Internal };

class Error : public std::runtime_error {
 public:
  // line is 1-based (0 = unknown); offset is a byte offset (-1 = unknown).
  Error(ErrorKind kind, std::string message, std::string path = "", int64_t line = 0,
        int64_t offset = -1)
      : std::runtime_error(format(message, path, line, offset)),
        kind_(kind), message_(std::move(message)), path_(std::move(path)), line_(line),
        offset_(offset) {}

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const std::string& path() const { return path_; }
  int64_t line() const { return line_; }
  int64_t offset() const { return offset_; }

 private:
  // Compiler style, so editors can jump to the place: "path:line: message (byte N)".
  static std::string format(const std::string& message, const std::string& path, int64_t line,
                            int64_t offset) {
    std::string out;
    if (!path.empty()) out += path + ":";
    if (line > 0) out += std::to_string(line) + ":";
    if (!out.empty()) out += " ";
    out += message;
    if (offset >= 0) out += " (at byte offset " + std::to_string(offset) + ")";
    return out;
  }

  ErrorKind kind_;
  std::string message_, path_;
  int64_t line_, offset_;
};

[[noreturn]] inline void throw_input(std::string message, int64_t offset = -1) {
  throw Error(ErrorKind::Input, std::move(message), "", 0, offset);
}
[[noreturn]] inline void throw_format(std::string path, std::string message, int64_t offset = -1,
                                      int64_t line = 0) {
  throw Error(ErrorKind::Format, std::move(message), std::move(path), line, offset);
}
[[noreturn]] inline void throw_io(std::string path, std::string message) {
  throw Error(ErrorKind::Io, std::move(message), std::move(path));
}

}  // namespace zhtok

// io_error.cpp - formatting of file errors.
#include "io_error.hpp"

#include <cstring>
#include <utility>

namespace testr {

std::string io_error::message() const {
    return "cannot " + action + " '" + path + "': " + reason;
}

io_error errno_error(std::string path, std::string action, int code) {
    // strerror is not thread-safe in general, but glibc's returns a static
    // table string for every known code, which is all we pass it.
    return {std::move(path), std::move(action), code, std::strerror(code)};
}

io_error content_error(std::string path, std::string action, std::string reason) {
    return {std::move(path), std::move(action), 0, std::move(reason)};
}

}  // namespace testr

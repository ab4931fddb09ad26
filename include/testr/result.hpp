// testr/result.hpp - errors as values across library boundaries.
//
// A minimal std::expected stand-in (g++ 12 in C++20 mode has none): a result
// holds either a value or an error, never both. Adapters return
// result<T, their_error>; the CLI turns errors into messages and exit codes.
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace testr {

/// The default error: a message a user can act on.
struct error {
    std::string message;
};

/// Tag wrapper so result<T, E> can be built from an error unambiguously,
/// even when T and E are the same type.
template <class E>
struct unexpected {
    E value;
};
template <class E>
unexpected(E) -> unexpected<E>;

/// Shorthand for the common case: `return fail("bad line 3");`.
inline unexpected<error> fail(std::string message) {
    return {error{std::move(message)}};
}

template <class T, class E = error>
class [[nodiscard]] result {
public:
    using value_type = T;
    using error_type = E;

    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
    template <class G>
    result(unexpected<G> e) : v_(std::in_place_index<1>, E(std::move(e.value))) {}  // NOLINT

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { assert(has_value()); return std::get<0>(v_); }
    const T& value() const& { assert(has_value()); return std::get<0>(v_); }
    T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
    const E& error() const& { assert(!has_value()); return std::get<1>(v_); }
    E&& error() && { assert(!has_value()); return std::get<1>(std::move(v_)); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, E> v_;
};

/// result<void>: success carries nothing.
template <class E>
class [[nodiscard]] result<void, E> {
public:
    using value_type = void;
    using error_type = E;

    result() = default;
    template <class G>
    result(unexpected<G> e) : err_(E(std::move(e.value))), ok_(false) {}  // NOLINT

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    void value() const { assert(ok_); }
    const E& error() const& { assert(!ok_); return err_; }
    E&& error() && { assert(!ok_); return std::move(err_); }

private:
    E err_{};
    bool ok_ = true;
};

}  // namespace testr

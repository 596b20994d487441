// Every public header includes this one first (directly or through
// autodiff/errors.hpp): they need C++20 (std::span, std::source_location,
// concepts, designated initializers), and compiled as C++17 or older they
// stop here with one message that says so, before the errors from deep
// inside the headers. CMake's tapegrad::tapegrad sets cxx_std_20 itself.
#pragma once

#if !((defined(_MSVC_LANG) && _MSVC_LANG >= 202002L) || (defined(__cplusplus) && __cplusplus >= 202002L))
#error "tapegrad needs C++20: compile with -std=c++20 (meson: cpp_std=c++20; CMake: link tapegrad::tapegrad, or cxx_std_20)"
#endif

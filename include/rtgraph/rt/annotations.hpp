// Markers for code reachable from the audio thread.
//
// RTGRAPH_NONBLOCKING expands to [[clang::nonblocking]] on compilers that know
// it (clang >= 20). In a build with -fsanitize=realtime, RealtimeSanitizer then
// aborts on any allocation, lock or blocking syscall made while such a function
// is on the stack, including calls into dlopen'ed plugins. On gcc it expands to
// nothing, so ordinary builds are unaffected.
#pragma once

#if defined(__clang__) && defined(__has_cpp_attribute)
#if __has_cpp_attribute(clang::nonblocking)
#define RTGRAPH_NONBLOCKING [[clang::nonblocking]]
#endif
#endif

#ifndef RTGRAPH_NONBLOCKING
#define RTGRAPH_NONBLOCKING
#endif

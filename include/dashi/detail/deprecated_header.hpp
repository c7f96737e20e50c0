// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `DASHI_HEADER_DEPRECATED(old, replacement)`: the note an old header path prints when it is
/// included (one release long, before the path goes). A note, never an error: GCC prints
/// `#pragma message` as a note; Clang prints it as a warning, mapped here to a plain warning
/// so that `-Werror` builds still build. Define `DASHI_NO_DEPRECATED_HEADER_MESSAGES` before
/// the include (or on the command line) to silence it.

/// Expands to `_Pragma("<text>")`, the text being the macro argument after substitution.
#define DASHI_DETAIL_PRAGMA(text) _Pragma(#text)

#if defined(DASHI_NO_DEPRECATED_HEADER_MESSAGES)
#  define DASHI_HEADER_DEPRECATED(old, replacement)
#elif defined(__clang__)
#  define DASHI_HEADER_DEPRECATED(old, replacement)                                             \
    _Pragma("clang diagnostic push") _Pragma("clang diagnostic warning \"-W#pragma-messages\"") \
        DASHI_DETAIL_PRAGMA(message("dashicore: <" old "> is deprecated and will be removed; "  \
                                    "include <" replacement "> instead"))                       \
            _Pragma("clang diagnostic pop")
#elif defined(__GNUC__) || defined(_MSC_VER)
#  define DASHI_HEADER_DEPRECATED(old, replacement)                                        \
    DASHI_DETAIL_PRAGMA(message("dashicore: <" old "> is deprecated and will be removed; " \
                                "include <" replacement "> instead"))
#else
#  define DASHI_HEADER_DEPRECATED(old, replacement)
#endif

#ifndef LEADSH_CEDITLINE_SHIM_H
#define LEADSH_CEDITLINE_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <editline/readline.h>

/* libedit's globals and variadic calls, reached only through these functions
   (Swift 6 rejects direct access to mutable C globals). */

typedef char *_Nullable (*leadsh_completion_entry_fn)(const char *_Nonnull text, int state);
typedef char *_Nullable *_Nullable (*leadsh_attempted_completion_fn)(const char *_Nonnull text, int start, int end);

static inline void leadsh_rl_set_name(const char *_Nonnull name) {
    rl_readline_name = (char *)name;
}

static inline void leadsh_rl_set_attempted_completion(leadsh_attempted_completion_fn _Nullable fn) {
    rl_attempted_completion_function = (rl_completion_func_t *)fn;
}

static inline char *_Nullable *_Nullable leadsh_rl_completion_matches(const char *_Nonnull text,
                                                                      leadsh_completion_entry_fn _Nonnull fn) {
    return rl_completion_matches(text, (rl_compentry_func_t *)fn);
}

static inline void leadsh_rl_set_attempted_completion_over(int value) {
    rl_attempted_completion_over = value;
}

static inline const char *_Nullable leadsh_rl_line_buffer(void) {
    return rl_line_buffer;
}

static inline void leadsh_rl_set_completion_append_character(int c) {
    rl_completion_append_character = c;
}

static inline void leadsh_rl_set_catch_signals(int value) {
    rl_catch_signals = value;
}

static inline void leadsh_rl_set_basic_word_break_characters(const char *_Nonnull chars) {
    rl_basic_word_break_characters = (char *)chars;
}

static inline void leadsh_rl_set_instream(FILE *_Nullable f) {
    rl_instream = f;
}

static inline void leadsh_rl_set_outstream(FILE *_Nullable f) {
    rl_outstream = f;
}

static inline int leadsh_history_length(void) {
    return history_length;
}

#endif

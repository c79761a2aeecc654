#ifndef LEADSH_CEDITLINE_SHIM_H
#define LEADSH_CEDITLINE_SHIM_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
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

static inline void leadsh_rl_set_attempted_completion_over(int value) {
    rl_attempted_completion_over = value;
}

static inline void leadsh_rl_set_completion_append_character(int c) {
    rl_completion_append_character = c;
}

static inline void leadsh_rl_set_basic_word_break_characters(const char *_Nonnull chars) {
    rl_basic_word_break_characters = (char *)chars;
}

static inline void leadsh_rl_set_outstream(FILE *_Nullable f) {
    rl_outstream = f;
}

/* The character source libedit reads keys from; read once, by rl_initialize(). */
typedef int (*leadsh_getc_fn)(FILE *_Nullable stream);

static inline void leadsh_rl_set_getc_function(leadsh_getc_fn _Nullable fn) {
    rl_getc_function = fn;
}

/* Byte offsets into the line, valid inside a completion or rl_add_defun callback. */
static inline int leadsh_rl_point(void) {
    return rl_point;
}

typedef int (*leadsh_command_fn)(int count, int key);

static inline int leadsh_rl_add_defun(const char *_Nonnull name, leadsh_command_fn _Nonnull fn, int key) {
    return rl_add_defun(name, (rl_command_func_t *)fn, key);
}

static inline FILE *_Nonnull leadsh_stdout(void) {
    return stdout;
}

static inline FILE *_Nonnull leadsh_stderr(void) {
    return stderr;
}

/* Installs `handler` for `signo` with an empty mask and without SA_RESTART, so
   a blocking read in any thread that takes the signal fails with EINTR. */
static inline int leadsh_install_signal_handler(int signo, void (*_Nonnull handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    return sigaction(signo, &action, NULL);
}

/* Unblocks `signo` in the calling thread (a process can inherit it blocked). */
static inline int leadsh_unblock_signal(int signo) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* Strings libedit keeps pointers to: static storage, never freed. */
static inline const char *_Nonnull leadsh_program_name(void) {
    return "leadsh";
}

static inline const char *_Nonnull leadsh_word_break_characters(void) {
    return " \t\n\"'";
}

static inline const char *_Nonnull leadsh_print_above_command_name(void) {
    return "leadsh-print-above";
}

/* Terminal columns taken by one character (-1 when unprintable), in the current locale. */
static inline int leadsh_wcwidth(int c) {
    return wcwidth((wchar_t)c);
}

#endif

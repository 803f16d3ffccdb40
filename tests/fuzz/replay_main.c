/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/replay_main.c - runs a fuzz target over its saved corpus when
 * the build has no libFuzzer, so inputs that once crashed stay fixed.
 *
 * Usage: fuzz_NAME [DIR|FILE]...
 * Without arguments the corpus is $ND_FUZZ_CORPUS/NAME (make check sets
 * it), else tests/fuzz/corpus/NAME from the current directory; NAME is the
 * program's name without "fuzz_".
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feed one file to the target. The bytes sit in a heap block of exactly
 * their size, so the sanitizers flag a read one past the end. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		fclose(f);
		return -1;
	}

	size_t size = (size_t)st.st_size;
	uint8_t *data = malloc(size ? size : 1);

	if (data == NULL || fread(data, 1, size, f) != size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

/* Run every regular file of dir, in name order so runs are repeatable.
 * Returns how many ran, or -1 when the directory cannot be read. */
static long run_dir(const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	long ran = 0;
	bool failed = false;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (names[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir,
			     names[i]->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) == 0)
				ran++;
			else
				failed = true;
		}
		free(names[i]);
	}
	free(names);
	return failed ? -1 : ran;
}

/* "fuzz_query" from "/build/tests/fuzz/fuzz_query" (or "lt-fuzz_query"). */
static const char *target_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	if (strncmp(base, "lt-", 3) == 0)
		base += 3;
	if (strncmp(base, "fuzz_", 5) == 0)
		base += 5;
	return base;
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX];
	long total = 0;
	int status = 0;

	if (argc < 2) {
		const char *root = getenv("ND_FUZZ_CORPUS");
		const char *name = target_name(argc > 0 ? argv[0] : "");

		if (root == NULL || *root == '\0')
			root = "tests/fuzz/corpus";
		if (*name == '\0' ||
		    snprintf(dir, sizeof(dir), "%s/%s", root, name) >=
			    (int)sizeof(dir)) {
			fprintf(stderr, "replay: no corpus for this target\n");
			return 1;
		}
		long ran = run_dir(dir);
		if (ran < 0)
			return 1;
		printf("%s: replayed %ld inputs from %s\n",
		       argc > 0 ? argv[0] : "replay", ran, dir);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long ran;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			status = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			ran = run_dir(argv[i]);
		else
			ran = run_file(argv[i]) == 0 ? 1 : -1;
		if (ran < 0)
			status = 1;
		else
			total += ran;
	}
	printf("%s: replayed %ld inputs\n", argv[0], total);
	return status;
}

/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/kube_snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/snapshot.h"
#include "util/errors.h"

/* A large cluster's snapshot is tens of MiB; this only stops a wrong file. */
#define SNAPSHOT_MAX ((long)1 << 30)

static int read_file(const char *path, char **out, size_t *out_len, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;
	size_t n;
	int e;

	if (f == NULL)
		goto fail;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	if (size > SNAPSHOT_MAX) {
		snprintf(err, errlen, "%s: larger than %ld bytes", path,
			 SNAPSHOT_MAX);
		fclose(f);
		return -EFBIG;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, (size_t)size, f);
	if (ferror(f))
		goto fail;
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
fail:
	e = errno ? errno : EIO;
	snprintf(err, errlen, "%s: %s", path, strerror(e));
	free(buf);
	if (f != NULL)
		fclose(f);
	return -e;
}

int nd_kube_load_snapshot(struct nd_kube_store *store, const char *path,
			  char *err, size_t errlen)
{
	char dummy[1];
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (store == NULL || path == NULL)
		return -EINVAL;
	rc = read_file(path, &text, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = nd_kube_snapshot_apply(store, text, len, path, err, errlen);
	free(text);
	return rc;
}

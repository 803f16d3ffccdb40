/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* config/kubeconfig.h - where the Kubernetes API is and how to prove who we are. */
#ifndef CONFIG_KUBECONFIG_H
#define CONFIG_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the in-cluster token and CA live unless a test says otherwise. */
#define ND_KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/*
 * Server address and credentials for the API transport. Every pointer is
 * owned by the struct (free with nd_kube_creds_deinit); NULL means "not
 * set". A file and a blob of the same thing are never both set.
 */
struct nd_kube_creds {
	char *server;	      /* "http[s]://host[:port][/prefix]", no trailing '/' */
	char *ca_file;	      /* CA bundle (PEM) path; NULL = ca_blob, or
				 the system CAs when that is NULL too */
	uint8_t *ca_blob;     /* CA bundle bytes (PEM), not written to disk */
	size_t ca_blob_len;   /* bytes in ca_blob */
	char *token;	      /* bearer token; used when token_file is NULL */
	char *token_file;     /* bearer token file, re-read when it changes;
				 wins over token */
	char *cert_file;      /* client certificate (PEM) path */
	uint8_t *cert_blob;   /* client certificate bytes (PEM) */
	size_t cert_blob_len; /* bytes in cert_blob */
	char *key_file;	      /* client key (PEM) path */
	uint8_t *key_blob;    /* client key bytes (PEM) */
	size_t key_blob_len;  /* bytes in key_blob */
	bool skip_verify;     /* true = server certificate not checked */
};

/*
 * Read the cluster and user of the current-context of the kubeconfig at
 * path. Relative file names in it (certificate-authority, tokenFile,
 * client-certificate, client-key) are resolved against the kubeconfig's
 * directory; *-data fields are base64-decoded into the blobs. Files it
 * names are checked to be readable now, so a typo fails at start-up.
 * out: zeroed and filled on success, left zeroed on failure.
 * err: receives "<path>: <reason>" on failure (errlen 0 is fine).
 * Returns 0, -EINVAL (NULL args), -errno (the file cannot be read),
 * ND_EPARSE (bad YAML, missing context/cluster/user/server, bad base64,
 * unsupported auth) or -ENOMEM.
 */
int nd_kubeconfig_load(const char *path, struct nd_kube_creds *out, char *err,
		       size_t errlen);

/*
 * The credentials a pod has: https://$KUBERNETES_SERVICE_HOST:
 * $KUBERNETES_SERVICE_PORT (an IPv6 host is bracketed), the token file
 * <sa_dir>/token (re-read as it rotates) and <sa_dir>/ca.crt when present.
 * sa_dir: NULL for ND_KUBE_SA_DIR (tests pass their own).
 * Returns 0, ND_ENOTFOUND (the variables are unset: not in a cluster),
 * ND_EPARSE (bad host or port), -errno (the token cannot be read),
 * -EINVAL or -ENOMEM; err says which on failure.
 */
int nd_kube_creds_in_cluster(struct nd_kube_creds *out, const char *sa_dir,
			     char *err, size_t errlen);

/*
 * Deep-copy src into dst (dst is overwritten, not freed first).
 * Returns 0, -EINVAL or -ENOMEM (dst then left zeroed).
 */
int nd_kube_creds_copy(struct nd_kube_creds *dst,
		       const struct nd_kube_creds *src);

/* Free what creds owns and zero it; NULL and a zeroed struct are fine. */
void nd_kube_creds_deinit(struct nd_kube_creds *creds);

#endif /* CONFIG_KUBECONFIG_H */

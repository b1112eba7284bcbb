/* auth.h: message authentication for a cluster's processes (--cluster-key): every datagram
 * carries an HMAC-SHA256 tag (OpenSSL libcrypto) of its bytes under the cluster's key, and a
 * datagram whose tag does not verify is dropped unread. */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_TAG_LEN 32
#define AUTH_MIN_KEY 16
#define AUTH_MAX_KEY 1024

typedef struct {
    uint8_t key[AUTH_MAX_KEY];
    size_t len;
} auth_key_t;

/* Reads the key from a file: its bytes, a final newline left out; at least AUTH_MIN_KEY
 * bytes. -1 with a reason in err. */
int auth_load_key(const char *path, auth_key_t *key, char *err, size_t errlen);
/* The tag of data[0..n) into tag (AUTH_TAG_LEN bytes); -1 if libcrypto fails. */
int auth_tag(const auth_key_t *key, const void *data, size_t n, uint8_t *tag);
/* Whether data[0..n) ends with the right tag of what comes before it (constant time). */
bool auth_verify(const auth_key_t *key, const uint8_t *data, size_t n);

#endif

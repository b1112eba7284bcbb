/* auth.c: HMAC-SHA256 tags for datagrams (auth.h), through OpenSSL's EVP_MAC. */
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

int auth_load_key(const char *path, auth_key_t *key, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read the cluster key %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = fread(key->key, 1, sizeof key->key, f);
    int more = fgetc(f);
    bool bad = ferror(f);
    fclose(f);
    if (n > 0 && key->key[n - 1] == '\n')
        n--;
    if (n > 0 && key->key[n - 1] == '\r')
        n--;
    if (bad || more != EOF || n < AUTH_MIN_KEY) {
        snprintf(err, errlen, "%s: a cluster key is %d to %d bytes (for example: head -c 32 "
                 "/dev/urandom | base64 > %s)", path, AUTH_MIN_KEY, AUTH_MAX_KEY, path);
        return -1;
    }
    key->len = n;
    return 0;
}

int auth_tag(const auth_key_t *key, const void *data, size_t n, uint8_t *tag)
{
    static EVP_MAC *mac;
    if (!mac && !(mac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
        return -1;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                            OSSL_PARAM_construct_end() };
    size_t len = 0;
    int ok = ctx && EVP_MAC_init(ctx, key->key, key->len, params) &&
             EVP_MAC_update(ctx, data, n) && EVP_MAC_final(ctx, tag, &len, AUTH_TAG_LEN) &&
             len == AUTH_TAG_LEN;
    EVP_MAC_CTX_free(ctx);
    return ok ? 0 : -1;
}

bool auth_verify(const auth_key_t *key, const uint8_t *data, size_t n)
{
    uint8_t tag[AUTH_TAG_LEN];
    return n >= AUTH_TAG_LEN && auth_tag(key, data, n - AUTH_TAG_LEN, tag) == 0 &&
           CRYPTO_memcmp(tag, data + n - AUTH_TAG_LEN, AUTH_TAG_LEN) == 0;
}

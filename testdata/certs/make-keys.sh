#!/bin/sh
# The test PKI's keys that ring cannot generate (RSA) and rcgen cannot write (PKCS #1, SEC1,
# encrypted PKCS #8), made once with openssl and committed; tests/it/support/pki.rs loads
# them. Each key is written in PKCS #8 too, so rcgen can sign with it and the forms are the
# same key. Run from this folder; it overwrites the files.
set -eu

# RSA 2048: PKCS #8 (openssl 3's default) and the same key as PKCS #1.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pkcs8.pem
openssl rsa -in rsa2048.pkcs8.pem -traditional -out rsa2048.pkcs1.pem

# ECDSA P-256: PKCS #8 and the same key as SEC1 ("EC PRIVATE KEY").
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec-p256.pkcs8.pem
openssl ec -in ec-p256.pkcs8.pem -out ec-p256.sec1.pem

# The P-256 key as encrypted PKCS #8, passphrase "certready".
openssl pkcs8 -topk8 -v2 aes-256-cbc -in ec-p256.pkcs8.pem -passout pass:certready \
    -out ec-p256.encrypted.pem

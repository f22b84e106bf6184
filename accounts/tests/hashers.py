"""A test-only password hasher that counts its hashes (MD5's `verify` hashes through `encode`)."""

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingPasswordHasher(MD5PasswordHasher):
    """Put it first in PASSWORD_HASHERS to see whether a request reached the hashing."""

    hashes = 0

    def encode(self, password, salt):
        type(self).hashes += 1
        return super().encode(password, salt)

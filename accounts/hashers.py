"""The password hasher: Argon2id at a cost chosen for this service, not Django's default."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with 19 MiB of memory, 2 passes and 1 lane: the minimum of OWASP's Password
    Storage Cheat Sheet.

    Django's default (100 MiB, 2 passes, 8 lanes) costs several times as much CPU per hash, and
    every anonymous sign-in or sign-up pays it on a web worker's core. The algorithm name stays
    `argon2`, so hashes made with other parameters still verify here, and `must_update` makes
    Django re-hash them with these at the owner's next correct sign-in.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

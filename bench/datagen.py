"""Bulk SQL that fills the bench database fast (PostgreSQL `generate_series`, no ORM round trips).

Members are laid out by id so that each figure gets the members it needs (see `MemberLayout`);
money is ledger-consistent: every wallet has a `charge` row (plus a `membership_fee` row and one
`reservation_fee` row per historical reservation), each row's `balance_after` is the running sum and
every wallet's balance equals its ledger sum.
"""

from contextlib import contextmanager
from dataclasses import dataclass

TITLE_WORDS = [
    "river",
    "shadow",
    "garden",
    "winter",
    "silent",
    "empire",
    "city",
    "night",
    "stone",
    "letter",
    "house",
    "mountain",
    "glass",
    "forest",
    "ocean",
    "memory",
    "storm",
    "crown",
    "journey",
    "secret",
    "island",
    "mirror",
    "golden",
    "broken",
    "hidden",
    "last",
    "little",
    "north",
    "summer",
    "fire",
    "paper",
    "blue",
    "wind",
    "song",
    "king",
    "road",
    "bridge",
    "moon",
    "door",
    "clock",
    "harbor",
    "orchard",
    "desert",
    "lantern",
    "falcon",
    "tower",
    "voyage",
]
FIRST_NAMES = [
    "Sara",
    "Reza",
    "Maryam",
    "Ali",
    "Leila",
    "Omid",
    "Nasrin",
    "Kaveh",
    "Parisa",
    "Babak",
    "Shirin",
    "Dariush",
    "Elena",
    "Jonas",
    "Mira",
    "Tomas",
    "Ada",
    "Hugo",
    "Lina",
    "Oskar",
    "Nora",
    "Felix",
    "Ida",
    "Arman",
    "Yasmin",
    "Karim",
    "Noor",
    "Samir",
    "Dina",
    "Farid",
]
LAST_NAMES = [
    "Ahmadi",
    "Karimi",
    "Hosseini",
    "Rahimi",
    "Moradi",
    "Jafari",
    "Tehrani",
    "Sadeghi",
    "Rostami",
    "Kazemi",
    "Novak",
    "Lindqvist",
    "Moreau",
    "Rossi",
    "Keller",
    "Varga",
    "Nilsen",
    "Costa",
    "Haddad",
    "Mansour",
    "Farahani",
    "Ebrahimi",
    "Shams",
    "Bahrami",
    "Zand",
    "Golzar",
    "Nazari",
    "Amini",
    "Vahidi",
    "Soltani",
    "Hart",
    "Berger",
    "Dahl",
    "Ilves",
    "Kovac",
    "Marin",
    "Orlov",
    "Petrov",
    "Quist",
    "Rahman",
]
GENRES = [
    "Fiction",
    "Poetry",
    "History",
    "Science",
    "Philosophy",
    "Biography",
    "Travel",
    "Mystery",
    "Fantasy",
    "Romance",
    "Drama",
    "Children",
    "Art",
    "Music",
    "Economics",
    "Politics",
    "Religion",
    "Psychology",
    "Cooking",
    "Sports",
    "Technology",
    "Mathematics",
    "Medicine",
    "Law",
    "Education",
    "Nature",
    "Humor",
    "Essays",
    "Classics",
    "Comics",
]
CITIES = [
    "Tehran",
    "Mashhad",
    "Isfahan",
    "Shiraz",
    "Tabriz",
    "Karaj",
    "Qom",
    "Ahvaz",
    "Kermanshah",
    "Urmia",
    "Rasht",
    "Kerman",
    "Yazd",
    "Hamadan",
    "Ardabil",
    "Arak",
    "Zanjan",
    "Sanandaj",
    "Qazvin",
    "Khorramabad",
    "Gorgan",
    "Sari",
    "Bandar-Abbas",
    "Bushehr",
    "Birjand",
    "Semnan",
    "Ilam",
    "Yasuj",
    "Shahrekord",
    "Zahedan",
    "Kashan",
    "Kish",
    "Babol",
    "Amol",
    "Sabzevar",
    "Neyshabur",
    "Dezful",
    "Maragheh",
    "Khoy",
    "Bojnurd",
    "Lahijan",
    "Chalus",
    "Qeshm",
    "Abadan",
    "Borujerd",
    "Malayer",
    "Saveh",
    "Varamin",
    "Shahrud",
    "Tonekabon",
]

PLAN_PRICE = {"plus": 50_000, "premium": 200_000}
MEMBERSHIP_MONTHS = 2
RICH_CHARGE = 5_000_000
POOR_LEFTOVER = 500  # below one day's price (1,000): a poor member is dropped from any queue


@dataclass(frozen=True)
class MemberLayout:
    """Which member ids play which part. Member `j` (user = customer = wallet id `j`) is free
    (no membership) when `j % 10 == 0`; the others hold plus, or premium when `j % 3 == 0`, except
    the queue (`j <= queue_last`): all plus, so no premium jumps ahead and none reserves for free
    (premium members paid 400,000 in 60 days: the 100% discount), and the 1,000 poor members,
    queued first, are the first 1,000 candidates."""

    members: int
    poor_last: int = 1111  # 1..1111 without multiples of 10: 1,000 poor members with a plan
    queue_last: int = 11111  # 1112..11111: 9,000 plus members waiting behind them
    holder: int = 11112  # holds the one unit of the release book
    racers_first: int = 11113  # then the racers of figure 5, then the reserve/return members

    def __post_init__(self):
        if self.members < 14_000:
            raise ValueError("the bench needs at least 14,000 members")


RACE_BOOKS_LAST = 20  # books 1..20 are the 3-unit race books of figure 5
RELEASE_BOOK = 21  # one unit, held by `holder`, 10,000 waiting
REVIEWS_BOOK = 22  # 10,000 reviews (figure 8), by members 1..10,000
REVIEWS = 10_000
FIRST_FREE_BOOK = 101  # generated reservations and figure 4 use books from here on


def _pick(words: list[str], expr: str) -> str:
    """SQL: one word of `words` chosen by the integer expression `expr`."""
    array = "ARRAY[" + ",".join("'" + w + "'" for w in words) + "]"
    return f"({array})[1 + mod({expr}, {len(words)})]"


def _isbn_sql(number: str) -> str:
    """SQL: a valid ISBN-13 for an integer id: 978 + 9-digit id + check digit."""
    prefix = f"('978' || lpad(({number})::text, 9, '0'))"
    weighted = " + ".join(
        f"substr({prefix}, {i}, 1)::int * {3 if (i - 1) % 2 else 1}" for i in range(1, 13)
    )
    return f"{prefix} || mod(10 - mod({weighted}, 10), 10)::text"


def reset_sequences(cur, tables: list[str]) -> None:
    for table in tables:
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table}), 1))"
        )


@contextmanager
def secondary_indexes_deferred(cur, tables: list[str]):
    """Drop the tables' indexes that back no constraint (trigram GIN, foreign keys), yield for the
    bulk insert, then rebuild them from their own definitions: much faster than maintaining them."""
    cur.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = (quote_ident(i.indexname))::regclass)
        """,
        (tables,),
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    yield
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django's foreign keys are deferred: check now
    cur.execute("SET maintenance_work_mem = '512MB'")
    for _, definition in indexes:
        cur.execute(definition)


def reference_data(cur) -> None:
    cur.execute(
        "INSERT INTO catalog_city (id, name) SELECT i, (%s::text[])[i] "
        "FROM generate_series(1, %s) i",
        (CITIES, len(CITIES)),
    )
    cur.execute(
        "INSERT INTO catalog_genre (id, name) SELECT i, (%s::text[])[i] "
        "FROM generate_series(1, %s) i",
        (GENRES, len(GENRES)),
    )
    reset_sequences(cur, ["catalog_city", "catalog_genre"])


def members(cur, layout: MemberLayout) -> None:
    """Users, customers, wallets, memberships and the two ledger rows of each paying member."""
    from accounts.models import default_language

    m = layout.members
    cur.execute(
        """
        INSERT INTO accounts_user (id, password, is_superuser, first_name, last_name, is_staff,
                                   date_joined, email, phone, is_active, language)
        SELECT j, '!bench-unusable', false, 'Member', j::text, false, now() - interval '90 days',
               'member' || j || '@bench.example', '+98910' || lpad(j::text, 7, '0'), true, %s
        FROM generate_series(1, %s) j
        """,
        (default_language(), m),
    )
    cur.execute(
        f"""
        INSERT INTO accounts_customer (id, user_id, city_id, address)
        SELECT j, j, 1 + mod(j, {len(CITIES)}), '' FROM generate_series(1, %s) j
        """,
        (m,),
    )
    cur.execute(
        """
        CREATE TEMP TABLE bench_member ON COMMIT DROP AS
        SELECT j AS id,
               CASE WHEN mod(j, 10) = 0 THEN NULL
                    WHEN j <= %(queue_last)s THEN 'plus'
                    WHEN mod(j, 3) = 0 THEN 'premium' ELSE 'plus' END AS plan,
               (j <= %(poor_last)s AND mod(j, 10) <> 0) AS poor
        FROM generate_series(1, %(m)s) j
        """,
        {"poor_last": layout.poor_last, "queue_last": layout.queue_last, "m": m},
    )
    months = MEMBERSHIP_MONTHS
    fee = (
        f"(CASE plan WHEN 'premium' THEN {PLAN_PRICE['premium']} "
        f"WHEN 'plus' THEN {PLAN_PRICE['plus']} ELSE 0 END)"
    )
    cur.execute(
        f"""
        INSERT INTO accounts_membership (customer_id, plan, starts_at, ends_at, price_paid, created_at)
        SELECT id, plan, now() - interval '25 days', now() + interval '35 days',
               {months} * {fee}, now() - interval '25 days'
        FROM bench_member WHERE plan IS NOT NULL
        """
    )
    charge = f"(CASE WHEN poor THEN {POOR_LEFTOVER} ELSE {RICH_CHARGE} END)"
    paid = f"({months} * {fee})"
    cur.execute(
        f"""
        INSERT INTO purchasing_wallet (id, customer_id, balance, updated_at)
        SELECT id, id, {charge}, now() FROM bench_member
        """
    )
    cur.execute(
        f"""
        INSERT INTO purchasing_wallettransaction
            (wallet_id, kind, amount, balance_after, reference, created_at)
        SELECT id, 'charge', {charge} + {paid}, {charge} + {paid}, 'bench:seed',
               now() - interval '25 days' - interval '1 minute'
        FROM bench_member
        UNION ALL
        SELECT id, 'membership_fee', -{paid}, {charge}, 'bench:membership',
               now() - interval '25 days'
        FROM bench_member WHERE plan IS NOT NULL
        """
    )
    cur.execute("CREATE TABLE IF NOT EXISTS bench_rich (rn bigint PRIMARY KEY, customer_id bigint)")
    cur.execute(
        """
        INSERT INTO bench_rich (rn, customer_id)
        SELECT row_number() OVER (ORDER BY id), id FROM bench_member
        WHERE plan IS NOT NULL AND NOT poor AND id > %s
        """,
        (layout.holder + 1000,),
    )
    reset_sequences(
        cur,
        [
            "accounts_user",
            "accounts_customer",
            "purchasing_wallet",
            "accounts_membership",
            "purchasing_wallettransaction",
        ],
    )


def catalog(cur, *, first_book: int, last_book: int) -> None:
    """Books `first_book..last_book` with genres, authors (one per five books, ids growing with the
    catalog), one or two authors each, and valid ISBNs."""
    cur.execute("SELECT COALESCE(max(id), 0) FROM catalog_author")
    (authors_before,) = cur.fetchone()
    authors_after = max(500, last_book // 5)
    if authors_after > authors_before:
        first = _pick(FIRST_NAMES, "i * 7")
        last = _pick(LAST_NAMES, "i * 13 + i / 40")
        cur.execute(
            f"""
            INSERT INTO catalog_author (id, name, bio, city_id)
            SELECT i, {first} || ' ' || {last} || ' ' || i,
                   'Writes about ' || {_pick(TITLE_WORDS, "i * 11")} || ' and '
                   || {_pick(TITLE_WORDS, "i * 17 + 3")} || '.',
                   1 + mod(i, {len(CITIES)})
            FROM generate_series(%s, %s) i
            """,
            (authors_before + 1, authors_after),
        )
    title = " || ' ' || ".join(
        f"initcap({_pick(TITLE_WORDS, expr)})" for expr in ("i * 7", "i / 3 + i * 13", "i / 47")
    )
    description = " || ' ' || ".join(
        _pick(TITLE_WORDS, f"i * {p} + {k}") for k, p in enumerate((3, 5, 11, 19, 23, 29, 37, 41))
    )
    cur.execute(
        f"""
        INSERT INTO catalog_book (id, title, isbn, description, genre_id, published_year,
                                  total_units, available_units, created_at, updated_at)
        SELECT i, {title}, {_isbn_sql("i")},
               'A story of ' || {description} || '. ' || repeat('More of it. ', 1 + mod(i, 8)),
               1 + mod(i, {len(GENRES)}), 1900 + mod(i * 37, 125), 1 + mod(i, 5), 1 + mod(i, 5), now(), now()
        FROM generate_series(%s, %s) i
        """,
        (first_book, last_book),
    )
    cur.execute(
        """
        INSERT INTO catalog_book_authors (book_id, author_id)
        SELECT i, 1 + mod(i * 17, %(n)s) FROM generate_series(%(lo)s, %(hi)s) i
        UNION
        SELECT i, 1 + mod(i * 29 + 7, %(n)s) FROM generate_series(%(lo)s, %(hi)s) i WHERE mod(i, 4) = 0
        """,
        {"n": authors_after, "lo": first_book, "hi": last_book},
    )
    reset_sequences(cur, ["catalog_author", "catalog_book", "catalog_book_authors"])


def reservations(cur, *, first_book: int, last_book: int) -> None:
    """History (returned, one per five books, in the last 20 days, paid through the ledger) and
    active loans (one per fifty books, ending in 6 days, taking a unit) on books of the range."""
    lo = max(first_book, FIRST_FREE_BOOK)
    if lo > last_book:
        return
    span = last_book - lo + 1
    cur.execute("SELECT count(*) FROM bench_rich")
    (rich,) = cur.fetchone()
    cur.execute("SELECT COALESCE(max(id), 0) FROM reservations_reservation")
    (before,) = cur.fetchone()
    cur.execute(
        """
        INSERT INTO reservations_reservation (customer_id, book_id, days, starts_at, ends_at, price,
            discount_percent, discount_reason, status, ended_at, created_at)
        SELECT r.customer_id, %(lo)s + mod(k * 7919, %(span)s), 1 + mod(k, 7),
               now() - interval '20 days' + mod(k, 1700) * interval '10 minutes',
               now() - interval '20 days' + mod(k, 1700) * interval '10 minutes'
                   + (1 + mod(k, 7)) * interval '1 day',
               (1 + mod(k, 7)) * 1000, 0, '', 'returned',
               now() - interval '20 days' + mod(k, 1700) * interval '10 minutes' + interval '1 day',
               now() - interval '20 days' + mod(k, 1700) * interval '10 minutes'
        FROM generate_series(1, %(n)s) k
        JOIN bench_rich r ON r.rn = 1 + mod(k * 31 + %(lo)s, %(rich)s)
        """,
        {"lo": lo, "span": span, "n": span // 5, "rich": rich},
    )
    cur.execute(
        """
        INSERT INTO reservations_reservation (customer_id, book_id, days, starts_at, ends_at, price,
            discount_percent, discount_reason, status, created_at)
        SELECT r.customer_id, b, 7, now() - interval '1 day', now() + interval '6 days', 7000,
               0, '', 'active', now() - interval '1 day'
        FROM generate_series(%(lo)s, %(hi)s, 50) b
        JOIN bench_rich r ON r.rn = 1 + mod(b * 13, %(rich)s)
        """,
        {"lo": lo, "hi": last_book, "rich": rich},
    )
    cur.execute(
        """
        UPDATE catalog_book b SET available_units = b.available_units - a.n
        FROM (SELECT book_id, count(*) n FROM reservations_reservation
              WHERE status = 'active' AND id > %s GROUP BY book_id) a
        WHERE a.book_id = b.id
        """,
        (before,),
    )
    _reservation_fees(cur, after_reservation=before)


def _reservation_fees(cur, *, after_reservation: int) -> None:
    """One `reservation_fee` row per new reservation, in time order, with running balances."""
    cur.execute(
        """
        INSERT INTO purchasing_wallettransaction
            (wallet_id, kind, amount, balance_after, reference, created_at)
        SELECT w.id, 'reservation_fee', -r.price, 0, 'reservation:' || r.id, r.starts_at
        FROM reservations_reservation r JOIN purchasing_wallet w ON w.customer_id = r.customer_id
        WHERE r.id > %s
        """,
        (after_reservation,),
    )
    # A later batch may hold older rows than an earlier one: recompute every running balance.
    cur.execute(
        """
        UPDATE purchasing_wallettransaction t SET balance_after = s.running
        FROM (SELECT id, sum(amount) OVER (PARTITION BY wallet_id ORDER BY created_at, id) running
              FROM purchasing_wallettransaction) s
        WHERE s.id = t.id AND t.balance_after <> s.running
        """
    )
    cur.execute(
        """
        UPDATE purchasing_wallet w SET balance = s.total, updated_at = now()
        FROM (SELECT wallet_id, sum(amount) total FROM purchasing_wallettransaction
              GROUP BY wallet_id) s
        WHERE s.wallet_id = w.id AND w.balance <> s.total
        """
    )
    reset_sequences(cur, ["reservations_reservation", "purchasing_wallettransaction"])


def race_and_release_books(cur, layout: MemberLayout) -> None:
    """Books 1..20 get 3 free units (figure 5); book 21 one unit held by `holder` and a queue of
    10,000 (1,000 poor members first, then 9,000 plus members) for the release measurement."""
    cur.execute(
        "UPDATE catalog_book SET total_units = 3, available_units = 3 WHERE id <= %s",
        (RACE_BOOKS_LAST,),
    )
    cur.execute(
        "UPDATE catalog_book SET total_units = 1, available_units = 0 WHERE id = %s",
        (RELEASE_BOOK,),
    )
    cur.execute("SELECT COALESCE(max(id), 0) FROM reservations_reservation")
    (before,) = cur.fetchone()
    cur.execute(
        """
        INSERT INTO reservations_reservation (customer_id, book_id, days, starts_at, ends_at, price,
            discount_percent, discount_reason, status, created_at)
        VALUES (%s, %s, 7, now() - interval '1 day', now() + interval '6 days', 7000, 0, '',
                'active', now() - interval '1 day')
        """,
        (layout.holder, RELEASE_BOOK),
    )
    _reservation_fees(cur, after_reservation=before)
    cur.execute(
        """
        INSERT INTO reservations_queueentry (customer_id, book_id, days, queued_at, status,
                                             drop_reason)
        SELECT j, %s, 1, now() - interval '2 days' + j * interval '1 second', 'waiting', ''
        FROM generate_series(1, %s) j WHERE mod(j, 10) <> 0
        """,
        (RELEASE_BOOK, layout.queue_last),
    )
    reset_sequences(cur, ["reservations_queueentry"])


def reviews(cur) -> None:
    """`REVIEWS` reviews of `REVIEWS_BOOK`, one per member, written over the last year with
    likes spread unevenly (the "most liked" order has ties to break), and the book's count."""
    cur.execute(
        """
        INSERT INTO readers_review (book_id, customer_id, title, body, verified_reader,
            like_count, dislike_count, reply_count, created_at, updated_at, hidden_reason)
        SELECT %s, j, 'Review ' || j,
               'A reader''s thoughts on the book, number ' || j || '. ' || repeat('Words. ', 40),
               mod(j, 3) = 0, mod(j * 7919, 97), mod(j, 5), 0,
               now() - (j * interval '53 minutes'), now() - (j * interval '53 minutes'), ''
        FROM generate_series(1, %s) j
        """,
        (REVIEWS_BOOK, REVIEWS),
    )
    cur.execute("UPDATE catalog_book SET review_count = %s WHERE id = %s", (REVIEWS, REVIEWS_BOOK))
    reset_sequences(cur, ["readers_review"])


def ledger_inconsistencies(cur) -> int:
    """Wallets whose balance differs from their ledger sum or from their last `balance_after`."""
    cur.execute(
        """
        SELECT count(*) FROM purchasing_wallet w
        LEFT JOIN LATERAL (SELECT COALESCE(sum(amount), 0) total FROM purchasing_wallettransaction t
                           WHERE t.wallet_id = w.id) s ON true
        LEFT JOIN LATERAL (SELECT balance_after FROM purchasing_wallettransaction t
                           WHERE t.wallet_id = w.id ORDER BY created_at DESC, id DESC LIMIT 1) l
               ON true
        WHERE w.balance <> s.total OR w.balance <> COALESCE(l.balance_after, 0)
        """
    )
    return cur.fetchone()[0]


def unit_inconsistencies(cur) -> int:
    """Books whose free units differ from total minus active reservations."""
    cur.execute(
        """
        SELECT count(*) FROM catalog_book b
        LEFT JOIN (SELECT book_id, count(*) n FROM reservations_reservation
                   WHERE status = 'active' GROUP BY book_id) a ON a.book_id = b.id
        WHERE b.available_units <> b.total_units - COALESCE(a.n, 0) OR b.available_units < 0
        """
    )
    return cur.fetchone()[0]

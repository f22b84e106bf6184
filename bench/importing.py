"""`make bench BENCH_ARGS=--import`: the time and peak memory of importing MARC 21 files.

For each size (10,000 and 100,000 records by default) it writes a file of made-up but
realistic records (UTF-8, one to three authors out of a pool the size of a real library's,
ISBN-13s and ISBN-10s, Koha's 952 items), imports it into a fresh PostgreSQL database with
`manage.py import_catalog` in a child process, and reads that process's wall time and peak
resident memory (`wait4`). A second run of the same file (every record unchanged) is measured
too. Linear time shows as a steady records-per-second; a streamed import as a peak that does
not grow with the file.
"""

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from pymarc import Field, Record, Subfield

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "lib_bench_import"
SIZES = (10_000, 100_000)
AUTHORS = 20_000
GENRES = ("Novel", "Poetry", "History", "Philosophy", "Travel", "Children", "Mystery", "Drama")
WORDS = [
    "river",
    "garden",
    "lantern",
    "tower",
    "silent",
    "golden",
    "night",
    "caravan",
    "rose",
    "mirror",
    "winter",
    "road",
    "city",
    "letters",
    "house",
    "desert",
    "mountain",
    "sea",
    "kings",
    "birds",
    "owl",
    "story",
    "falcon",
]
PERSIAN_WORDS = [
    "باغ",
    "شب",
    "رود",
    "کاروان",
    "آینه",
    "خانه",
    "کوه",
    "دریا",
    "پرنده",
    "شهر",
    "نامه",
]


def isbn13(number: int) -> str:
    body = f"979{number:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    return body + str(check)


def record(number: int, rng: random.Random) -> Record:
    rec = Record(to_unicode=True, force_utf8=True)
    rec.leader = rec.leader[:9] + "a" + rec.leader[10:]
    words = PERSIAN_WORDS if number % 10 == 0 else WORDS
    title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 5))).capitalize()
    authors = [f"Author {rng.randrange(AUTHORS)}" for _ in range(rng.randint(1, 3))]

    def field(tag: str, **subfields: str) -> Field:
        return Field(
            tag=tag,
            indicators=[" ", " "],
            subfields=[Subfield(code=code, value=value) for code, value in subfields.items()],
        )

    rec.add_field(field("020", a=f"{isbn13(number)} (pbk.)"))
    rec.add_field(field("100", a=f"{authors[0]},"))
    rec.add_field(field("245", a=f"{title} /"))
    rec.add_field(field("264", c=f"{rng.randint(1900, 2025)}."))
    rec.add_field(
        field("520", a=f"A story of the {rng.choice(WORDS)} and the {rng.choice(WORDS)}.")
    )
    rec.add_field(field("650", a=rng.choice(GENRES)))
    for author in authors[1:]:
        rec.add_field(field("700", a=author))
    for copy in range(rng.randint(1, 4)):
        rec.add_field(field("952", a="CENTRAL", p=f"{number}-{copy}", y="BK"))
    return rec


def write_file(path: Path, size: int) -> None:
    rng = random.Random(size)
    with open(path, "wb") as out:
        for number in range(1, size + 1):
            out.write(record(number, rng).as_marc())


def timed_import(path: Path, env: dict) -> dict:
    """One `import_catalog` in a child process: its wall time, peak memory and summary line."""
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "manage.py", "import_catalog", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if child.returncode != 0:
        raise RuntimeError(f"import_catalog failed ({child.returncode}): {output[-2000:]}")
    return {
        "seconds": round(seconds, 1),
        "records_per_second": None,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "summary": output.strip().splitlines()[-1],
    }


def run(database_url: str, sizes=SIZES, log=print) -> dict:
    """The import figure at each size, each into a fresh database; returns the results."""
    from bench.run import recreate_database

    base = database_url.rsplit("/", 1)[0]
    env = {**os.environ, "DATABASE_URL": f"{base}/{DATABASE}"}
    results = {}
    work = ROOT / "bench" / "out"
    work.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        path = work / f"import-{size}.mrc"
        log(f"import: writing {size:,} MARC records to {path.name}")
        write_file(path, size)
        recreate_database(database_url, DATABASE)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        log(f"import: {size:,} records into an empty catalog")
        first = timed_import(path, env)
        log(f"import: {size:,} records again (all unchanged)")
        again = timed_import(path, env)
        for figure in (first, again):
            figure["records_per_second"] = round(size / figure["seconds"])
        results[str(size)] = {
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "first": first,
            "again": again,
        }
        path.unlink()
    return results


def markdown(results: dict) -> str:
    lines = [
        "| records | file | first import | records/s | peak memory | again (unchanged) | peak |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, figure in results.items():
        first, again = figure["first"], figure["again"]
        lines.append(
            f"| {int(size):,} | {figure['file_mb']} MB | {first['seconds']} s | "
            f"{first['records_per_second']:,} | {first['peak_rss_mb']} MB | "
            f"{again['seconds']} s | {again['peak_rss_mb']} MB |"
        )
    return "\n".join(lines)


def save(results: dict, output: Path) -> None:
    output.write_text(json.dumps(results, indent=2) + "\n")

"""Figures in the words people use: instants in a named zone, durations in hours and minutes.

The precise figure (ISO 8601 instant, duration to the second, decimal to six places) stays in
the JSON and CSV documents and in a report's footnotes; these are what a person reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent, parse_pattern

from accord.core.errors import AccordError


class ZoneError(AccordError, ValueError):
    """A time zone name that is not an IANA zone."""


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone named (an error naming it when there is none such)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ZoneError(
            f"time zone {name!r}: not an IANA zone name such as Europe/Berlin or UTC"
        ) from None


def zone_abbreviation(moment: datetime) -> str:
    """The zone's name at that instant as people write it: ``CEST``, ``UTC``; ``UTC+03:00``
    where the zone has no abbreviation (its tz database name is a bare offset)."""
    name = moment.strftime("%Z")
    if name and name[0] not in "+-":
        return name
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def when(moment: datetime, zone: tzinfo) -> str:
    """``6 Oct 2026, 16:05 CEST``: the instant in the zone, the zone named."""
    local = moment.astimezone(zone)
    clock = f"{local:%H:%M}" + (f":{local:%S}" if local.second else "")
    return f"{local.day} {local:%b %Y}, {clock} {zone_abbreviation(local)}"


def day(moment: datetime, zone: tzinfo) -> str:
    """``6 Oct 2026``: the day of the instant in the zone."""
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y}"


def date_words(value: date) -> str:
    """``6 Oct 2026``: a calendar day (the day of the month without a leading zero, on every
    platform: ``%-d`` is glibc's only)."""
    return f"{value.day} {value:%b %Y}"


def between(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    """``6 Oct 2026, 14:05 to 16:22 CEST``; the second day written when it is another;
    ``from 6 Oct 2026, 14:05 CEST`` when it has no end (still going on)."""
    if end is None:
        return f"from {when(start, zone)}"
    first, last = start.astimezone(zone), end.astimezone(zone)
    if first.date() == last.date() and zone_abbreviation(first) == zone_abbreviation(last):
        return f"{day(first, zone)}, {first:%H:%M} to {last:%H:%M} {zone_abbreviation(last)}"
    return f"{when(first, zone)} to {when(last, zone)}"


def zone_name(zone: tzinfo | None) -> str:
    """An IANA zone's name (``Europe/Berlin``), else what the zone calls itself (``UTC``)."""
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else str(zone)


def period(start: datetime, end: datetime, zone: tzinfo) -> str:
    """A report's period for people, its end not included: ``October 2026``; ``1 Oct 2026 to
    31 Dec 2026`` (whole days, the last one named); instants with their zone otherwise."""
    first, after = start.astimezone(zone), end.astimezone(zone)
    midnight = first.time() == time() and after.time() == time()
    if not midnight:
        return f"{when(first, zone)} to {when(after, zone)} (not included)"
    last = (after - timedelta(days=1)).date()
    whole_month = first.day == 1 and (last + timedelta(days=1)).day == 1
    if whole_month and (first.year, first.month) == (last.year, last.month):
        return f"{first:%B %Y}"
    return f"{first.day} {first:%b %Y} to {last.day} {last:%b %Y}"


def duration(span: timedelta, units: int = 2) -> str:
    """``2 h 17 min``, ``1 min 30 s``, ``35 s``, ``3 days 4 h``: the span's largest units,
    ``units`` of them (two), the last one cut, never rounded up (1 h 59 min 59 s is
    ``1 h 59 min``, not ``2 h``); zeros at the end are left out (1 h 0 min 5 s is ``1 h``).
    Negative spans get a minus sign. Business time is never told in days: a business day is
    not 24 hours (see :func:`business`). Where two spans are compared, see
    :func:`business_against`."""
    return _told(span, _CALENDAR, units)


def business(span: timedelta, units: int = 2) -> str:
    """Business time in hours, minutes and seconds (``27 h 30 min``, ``1 min 30 s``), never in
    days; its largest units as :func:`duration` tells them."""
    return _told(span, _BUSINESS, units)


def business_against(used: timedelta, allowed: timedelta) -> tuple[str, str]:
    """Two spans of business time read side by side (``2 min 10 s`` used of the ``1 min 30 s``
    allowed), each told to the precision at which they compare as the spans do: cutting the
    smaller units never makes a span over its allowance read as within it or equal to it, nor
    the other way round. Two units where that is enough (``5 h 30 min`` of ``4 h``), more
    where not (``1 h 0 min 5 s`` of ``1 h``), to the fraction of a second at the last."""
    return _against(used, allowed, _BUSINESS)


def duration_against(used: timedelta, allowed: timedelta) -> tuple[str, str]:
    """As :func:`business_against`, in the units of :func:`duration` (days too): a downtime
    against its budget."""
    return _against(used, allowed, _CALENDAR)


def _against(used: timedelta, allowed: timedelta, scale: _Scale) -> tuple[str, str]:
    for units in range(2, len(scale) + 1):
        if _order(_cut(used, scale, units), _cut(allowed, scale, units)) == _order(used, allowed):
            return _told(used, scale, units), _told(allowed, scale, units)
    return _told(used, scale, EXACT), _told(allowed, scale, EXACT)


EXACT = 99
"""As many units as the span has, down to the fraction of a second: the span exactly."""
_CALENDAR = ((86400, "day"), (3600, "h"), (60, "min"), (1, "s"))
_BUSINESS = ((3600, "h"), (60, "min"), (1, "s"))
_SECOND = timedelta(seconds=1)
_Scale = tuple[tuple[int, str], ...]


def _order(first: timedelta, second: timedelta) -> int:
    return (first > second) - (first < second)


def _units(span: timedelta, scale: _Scale, units: int) -> list[tuple[int, int, str]]:
    """The span's units told, as (count, size in seconds, name): from its largest unit that
    is not zero, ``units`` of them (each whole; with :data:`EXACT` down to the second)."""
    whole = span // _SECOND
    found: list[tuple[int, int, str]] = []
    for size, name in scale:
        count, whole = divmod(whole, size)
        if count or found:
            found.append((count, size, name))
    if not found:
        found = [(0, 1, "s")]
    return found[:units]


def _cut(span: timedelta, scale: _Scale, units: int) -> timedelta:
    """The span as :func:`_told` writes it (cut toward zero)."""
    if span < timedelta(0):
        return -_cut(-span, scale, units)
    told = timedelta(seconds=sum(count * size for count, size, _ in _units(span, scale, units)))
    return span if units >= EXACT else told


def _told(span: timedelta, scale: _Scale, units: int) -> str:
    if span < timedelta(0):
        return "-" + _told(-span, scale, units)
    fraction = span % _SECOND if units >= EXACT else timedelta(0)
    told = _units(span, scale, units)
    while len(told) > 1 and told[-1][0] == 0 and not (told[-1][2] == "s" and fraction):
        told.pop()  # 1 h, not 1 h 0 min; but 1 h 0 min 5 s
    words = []
    for count, _, name in told:
        if name == "s" and fraction:
            exact = Decimal(count) + Decimal(fraction.microseconds).scaleb(-6)
            words.append(f"{exact.normalize():f} s")
        elif name == "day":
            words.append(f"{count} {'day' if count == 1 else 'days'}")
        else:
            words.append(f"{count} {name}")
    return " ".join(words)


def exact_span(span: timedelta) -> str:
    """A duration to the second, for footnotes: ``1h32m28s``, ``-44m31s``."""
    sign = "-" if span < timedelta(0) else ""
    seconds = int(abs(span).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    parts += [f"{minutes}m"] if minutes or hours else []
    parts += [f"{seconds}s"] if seconds or not parts else []
    return sign + "".join(parts)


def decimal(value: Decimal, places: int = 3) -> str:
    """A decimal to at most ``places`` places, trailing zeros dropped (``99.692``, ``10``)."""
    if not value.is_finite():
        return "infinite" if value > 0 else "-infinite"
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def times(rate: Decimal) -> str:
    """A rate as people say it: ``3.1 times``, ``half``."""
    if not rate.is_finite():
        return "infinitely many times"
    return f"{decimal(rate, 1 if rate >= 1 else 2)} times"


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


# ---------------------------------------------------------------- the reader's convention


class LocaleError(AccordError, ValueError):
    """A locale name that Babel (CLDR) does not know."""


@dataclass(frozen=True)
class Numbers:
    """Numbers, percentages, money and dates written in a locale's convention (Babel, from
    CLDR): ``99.69%``, ``1,200.00 USD`` and ``6 Oct 2026, 16:05 CEST`` in ``en``; ``99,69 %``,
    ``1.200,00 USD`` and ``6. Okt. 2026, 16:05 CEST`` in ``de``. Only the convention changes:
    the words around the figures stay English. Plain ``en`` keeps the day before the month and
    the 24-hour clock (:func:`when`), as international English writes them; ``en-US`` writes
    ``Oct 6, 2026, 4:05 PM EDT``. Zones keep the tz database's names (``CEST``)."""

    locale: Locale

    @property
    def _plain(self) -> bool:
        """Plain ``en``: the dates of :func:`when` and :func:`day`, whatever CLDR's ``en``."""
        return self.locale.language == "en" and not self.locale.territory

    def date_words(self, value: date) -> str:
        """A calendar day: ``6 Oct 2026``, ``6. Okt. 2026``, ``Oct 6, 2026``."""
        return date_words(value) if self._plain else _date(self.locale, value)

    def short_date(self, value: date) -> str:
        """A day in a few characters, without its year (a week's label): ``28 Sep``,
        ``28. Sept.``, ``Sep 28``."""
        if self._plain:
            return f"{value.day} {value:%b}"
        return _short_date(self.locale, value)

    def day(self, moment: datetime, zone: tzinfo) -> str:
        """The day of the instant in the zone, as :meth:`date_words` writes it."""
        return self.date_words(moment.astimezone(zone).date())

    def when(self, moment: datetime, zone: tzinfo) -> str:
        """The instant in the zone, the zone named: ``6 Oct 2026, 16:05 CEST``,
        ``6. Okt. 2026, 16:05 CEST``, ``Oct 6, 2026, 4:05 PM EDT`` (seconds when not zero)."""
        if self._plain:
            return when(moment, zone)
        local = moment.astimezone(zone)
        clock = f"{_clock(self.locale, local.time())} {zone_abbreviation(local)}"
        return _joined(self.locale, self.date_words(local.date()), clock)

    def between(self, start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
        """Two instants as :func:`between` writes them (``6 Oct 2026, 14:05 to 16:22 CEST``),
        their days and times in the locale's convention."""
        if self._plain:
            return between(start, end, zone)
        if end is None:
            return f"from {self.when(start, zone)}"
        first, last = start.astimezone(zone), end.astimezone(zone)
        if first.date() == last.date() and zone_abbreviation(first) == zone_abbreviation(last):
            clocks = (
                f"{_clock(self.locale, first.time())} to {_clock(self.locale, last.time())} "
                f"{zone_abbreviation(last)}"
            )
            return _joined(self.locale, self.date_words(first.date()), clocks)
        return f"{self.when(first, zone)} to {self.when(last, zone)}"

    def period(self, start: datetime, end: datetime, zone: tzinfo) -> str:
        """A report's period as :func:`period` writes it (``October 2026``, ``Oktober 2026``;
        ``1 Oct 2026 to 31 Dec 2026``), in the locale's convention."""
        if self._plain:
            return period(start, end, zone)
        first, after = start.astimezone(zone), end.astimezone(zone)
        if not (first.time() == time() and after.time() == time()):
            return f"{self.when(first, zone)} to {self.when(after, zone)} (not included)"
        last = (after - timedelta(days=1)).date()
        whole_month = first.day == 1 and (last + timedelta(days=1)).day == 1
        if whole_month and (first.year, first.month) == (last.year, last.month):
            return _month(self.locale, first.date())
        return f"{self.date_words(first.date())} to {self.date_words(last)}"

    @property
    def name(self) -> str:
        """The locale's identifier as people write it: ``en``, ``de``, ``pt-BR``."""
        return str(self.locale).replace("_", "-")

    def decimal(self, value: Decimal, places: int = 3) -> str:
        """To at most ``places`` places, trailing zeros dropped; grouped as the locale groups."""
        if not value.is_finite():
            return "infinite" if value > 0 else "-infinite"
        return format_decimal(_rounded(value, places), format=_PATTERN, locale=self.locale)

    def fixed(self, value: Decimal, places: int = 2) -> str:
        """To exactly ``places`` places (an amount without a currency: ``1.200,00``)."""
        pattern = "#,##0." + "0" * places if places else "#,##0"
        return format_decimal(value, format=pattern, locale=self.locale, decimal_quantization=True)

    def percent(self, value: Decimal, places: int = 3) -> str:
        """A figure already in percent (``99.692``) as the locale writes a percentage:
        ``99.692%``, ``99,692 %``."""
        if not value.is_finite():
            return self.decimal(value) + "%"
        return _percent(self.locale, value, places)

    def written(self, value: Decimal) -> str:
        """A percentage as an agreement writes it, its places kept (``99.0`` gives ``99.0%``,
        ``99,0 %``): a target or a band's edge is quoted, not rounded."""
        places = max(0, -int(value.as_tuple().exponent)) if value.is_finite() else 0
        pattern = copy(parse_pattern(self.locale.percent_formats[None].pattern))
        pattern.frac_prec = (places, places)
        found: str = pattern.apply(value.scaleb(-2), self.locale)
        return found

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount to its currency's digits in the locale's convention, then the ISO code:
        ``1,200.00 USD``, ``1.200,00 EUR``. The code, not a symbol: ``$`` names several
        currencies, and the engine's own accounts (a credit's reasons) name the code too."""
        try:
            return format_currency(
                amount, currency, format="#,##0.00 ¤¤", locale=self.locale, currency_digits=True
            )
        except (ValueError, KeyError):  # not an ISO 4217 code: its own digits, then the name
            return f"{self.fixed(amount)} {currency}"

    def count(self, value: int) -> str:
        """A count, grouped as the locale groups (``1,204``, ``1.204``)."""
        return format_decimal(value, format="#,##0", locale=self.locale)

    def target(self, text: str) -> str:
        """A target as written in an agreement (``99.9%``) in the locale's convention
        (``99,9 %``); a target that is not a plain percentage stays as written."""
        found = _PERCENT.fullmatch(text.strip())
        return self.written(Decimal(found.group(1))) if found else text

    def plural(self, count: int, one: str, many: str | None = None) -> str:
        return f"{self.count(count)} {one if count == 1 else (many or one + 's')}"

    def times(self, rate: Decimal) -> str:
        """A rate as people say it: ``3.1 times``."""
        if not rate.is_finite():
            return "infinitely many times"
        return f"{self.decimal(rate, 1 if rate >= 1 else 2)} times"


@lru_cache(maxsize=4096)
def _date(locale: Locale, value: date) -> str:
    """A day in a locale's medium form (CLDR's ``yMMMd``), remembered: a page names the same
    few days many times."""
    return str(format_skeleton("yMMMd", value, locale=locale))


@lru_cache(maxsize=4096)
def _short_date(locale: Locale, value: date) -> str:
    return str(format_skeleton("MMMd", value, locale=locale))


@lru_cache(maxsize=512)
def _month(locale: Locale, value: date) -> str:
    return str(format_skeleton("yMMMM", value, locale=locale))


@lru_cache(maxsize=8192)
def _clock(locale: Locale, moment: time) -> str:
    """A time of day on the locale's clock (``16:05``, ``4:05 PM``; seconds when not zero)."""
    twelve = "h" in str(locale.time_formats["short"].pattern)
    skeleton = ("hm" if twelve else "Hm") + ("s" if moment.second else "")
    return str(format_skeleton(skeleton, moment, locale=locale))


def _joined(locale: Locale, day_text: str, clock: str) -> str:
    """A day and a time joined as the locale joins them (``{1}, {0}`` in most)."""
    return str(locale.datetime_formats["medium"]).format(clock, day_text)


_PATTERN = "#,##0.######"
_PERCENT = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?)\s*%")


@lru_cache(maxsize=8192)
def _percent(locale: Locale, value: Decimal, places: int) -> str:
    """A percentage in a locale's convention, remembered: a page writes the same few (100% on
    every day without downtime) hundreds of times, and Babel parses its pattern each call."""
    share = _rounded(value, places) / 100
    return format_percent(share, locale=locale, decimal_quantization=False)


def _rounded(value: Decimal, places: int) -> Decimal:
    """Rounded half even to ``places`` places, trailing zeros dropped (as :func:`decimal`)."""
    return Decimal(decimal(value, places))


def locale_of(name: str | None) -> Numbers:
    """The convention of a locale Babel knows (``de``, ``de-CH``, ``pt_BR``; None: ``en``);
    an error naming it and giving examples when Babel does not know it."""
    if name is None:
        return ENGLISH
    return _locale(name.strip().replace("-", "_"))


@lru_cache(maxsize=64)
def _locale(name: str) -> Numbers:
    try:
        return Numbers(Locale.parse(name))
    except (UnknownLocaleError, ValueError, TypeError):
        raise LocaleError(
            f"locale {name.replace('_', '-')!r}: not a locale Accord knows; expected a language "
            "tag such as en, de, fr-CH or pt-BR"
        ) from None


def preferred_locale(header: str | None) -> Numbers:
    """The locale an ``Accept-Language`` header weighs highest among those Babel knows
    (``de-CH,de;q=0.9`` gives ``de-CH``); English when it names none Babel knows, or is
    absent. A range without its region known falls back to its language (``de-XX``: ``de``)."""
    if not header:
        return ENGLISH
    for _, _, tag in _ranges(header):
        for candidate in (tag, tag.split("-")[0]):
            try:
                return locale_of(candidate)
            except LocaleError:
                continue
    return ENGLISH


SUPPORTED_LOCALES = (
    "en",
    "en-GB",
    "de",
    "de-CH",
    "fr",
    "fr-CH",
    "es",
    "it",
    "nl",
    "pt",
    "pt-BR",
    "sv",
    "da",
    "pl",
)
"""The locales the portal offers a person (the numbers' convention: the words stay English)."""


def supported_locale(header: str | None, among: Sequence[str] = SUPPORTED_LOCALES) -> str | None:
    """The locale of ``among`` an ``Accept-Language`` header weighs highest: a range names one
    (``de-CH``), or its language does (``de-AT``: ``de``), case aside; None when it names none
    of them, or is absent."""
    known = {tag.lower(): tag for tag in among}
    for _, _, tag in _ranges(header or ""):
        for candidate in (tag, tag.split("-")[0]):
            found = known.get(candidate.lower())
            if found is not None:
                return found
    return None


def _ranges(header: str) -> list[tuple[float, int, str]]:
    """An ``Accept-Language`` header's ranges, highest weight first (then in their order);
    ``*`` and ranges weighed 0 left out."""
    ranges = []
    for position, part in enumerate(header.split(",")):
        tag, *parameters = (p.strip() for p in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and tag != "*" and 0 < weight <= 1:
            ranges.append((-weight, position, tag))
    return sorted(ranges)


ENGLISH = Numbers(Locale.parse("en"))
"""The default convention: a report is a document sent to someone, so it does not follow the
environment of the machine it is made on (LANG); ``--locale`` and the API's ``locale`` and
``Accept-Language`` choose another."""


def in_zone(numbers: object, moment: datetime, zone: str) -> str:
    """The instant in the zone named, in the convention of ``numbers`` (a page's ``n``; any
    other value: English): what the templates' ``in_zone`` writes."""
    return (numbers if isinstance(numbers, Numbers) else ENGLISH).when(moment, zone_of(zone))

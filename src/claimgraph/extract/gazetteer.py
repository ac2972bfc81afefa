"""Gazetteers and a fast longest-match matcher for the names spaCy gets wrong.

Everything that decides *which* state, organisation, region or event a piece of
text names lives here as data:

* states from the bundled ``data/countries.csv`` (name, Wikidata label, aliases),
  plus common variants and acronyms (``U.S.``, ``ROK``, ``DPRK``, ``PRC`` …) and
  historical states (``West Germany``, ``Soviet Union`` …) that the CSV lacks;
* demonyms ("South Korean", "Japanese") -> their state (``data/demonyms.csv``);
* capitals (``data/capitals.csv``) and seats of power ("the Kremlin", "the White
  House") -> the state they stand for when used as actors (the caller decides
  actor vs place);
* regions and other places that are never states ("Asia-Pacific", "Korea");
* international organisations, government bodies, parties, outlets, think tanks
  and universities (``data/organizations.csv``);
* named events (wars, crises);
* language names ("Türkçe", "English") that must never become a state or person
  (``data/languages.csv``);
* well-known people, for partial names and "the Biden administration"
  (``data/people.csv``).

The tables' sources and licences are in ``data/SOURCES.md``; Wikidata identifiers
come only from the bundled tables that cite where each was verified.

The matcher works on raw text (not on spaCy tokens, which split "South Korea-Japan"
and "USA-South Korea" badly): at every word start it looks up the candidates that
begin with that word and keeps the longest that fits, with word boundaries on
both sides. Hyphens are boundaries, so "USA-South Korea" yields "USA" and
"South Korea", while "Asia-Pacific" and "Guinea-Bissau" are entries of their own.
"""
from __future__ import annotations

import csv
import enum
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ..iris import slugify
from ..reference import read_table


class HitKind(str, enum.Enum):
    STATE = "state"  # a state's name, alias or acronym
    DEMONYM = "demonym"  # "South Korean", "Americans"
    CAPITAL = "capital"  # "Seoul": actor (state) or place, decided by context
    SEAT = "seat"  # "the White House", "the Kremlin": seat of power
    REGION = "region"  # "Asia-Pacific", "Middle East": a place, never a state
    PLACE = "place"  # other places that are not states ("Korea", "New Jersey")
    ORG = "org"
    EVENT = "event"
    LANGUAGE = "language"
    IGNORE = "ignore"  # swallows a span so that nothing inside it matches


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    text: str
    kind: HitKind
    target: str  # state code for STATE/DEMONYM/CAPITAL/SEAT; canonical name otherwise


@dataclass(frozen=True)
class StateInfo:
    code: str  # ISO 3166 alpha-3, or an ISO 3166-3 / project code for historical states
    name: str  # common English short name ("South Korea")
    wikidata: str | None
    historical: bool = False


@dataclass(frozen=True)
class OrgInfo:
    name: str  # canonical display name
    aliases: tuple[str, ...] = ()
    kind: str | None = None  # an OrgKind value
    country: str | None = None  # state code of a national body or party
    wikidata: str | None = None


@dataclass(frozen=True)
class PlaceInfo:
    name: str
    wikidata: str | None = None


@dataclass(frozen=True)
class KnownPerson:
    name: str
    state: str | None = None  # the state (or org name) whose leader/official they are or were
    aliases: tuple[str, ...] = ()
    wikidata: str | None = None


# --------------------------------------------------------------------------- data

# Extra names of states that countries.csv lacks (common English usage, acronyms).
STATE_VARIANTS: dict[str, list[str]] = {
    "USA": ["United States", "United States of America", "U.S.", "U.S.A.", "US", "USA", "America"],
    "GBR": ["Britain", "Great Britain", "UK", "U.K.", "United Kingdom"],
    "KOR": ["ROK", "R.O.K.", "Republic of Korea", "South Korea"],
    "PRK": ["DPRK", "D.P.R.K.", "Democratic People's Republic of Korea", "North Korea"],
    "CHN": ["PRC", "P.R.C.", "People's Republic of China", "Mainland China", "mainland China",
            "Communist China", "Red China"],
    "TWN": ["Republic of China", "ROC", "R.O.C.", "Chinese Taipei"],
    "RUS": ["Russian Federation"],
    "TUR": ["Türkiye", "Turkiye", "Republic of Turkey", "Republic of Türkiye"],
    "NLD": ["the Netherlands", "Holland"],
    "ARE": ["UAE", "U.A.E."],
    "SAU": ["KSA", "Kingdom of Saudi Arabia"],
    "COD": ["DRC", "DR Congo", "Democratic Republic of the Congo"],
    "IRN": ["Islamic Republic of Iran"],
    "VNM": ["Viet Nam"],
    "CZE": ["Czech Republic"],
    "MKD": ["North Macedonia"],
    "PHL": ["the Philippines"],
    "VAT": ["Holy See", "Vatican"],
    "PSE": ["Palestine"],
    "DEU": ["Federal Republic of Germany"],
    "MMR": ["Burma"],
    "CIV": ["Ivory Coast", "Côte d'Ivoire", "Côte d’Ivoire"],
    "SWZ": ["Swaziland"],
    "TLS": ["East Timor", "Timor-Leste"],
    "BIH": ["Bosnia", "Bosnia-Herzegovina"],
    "XKX": ["Kosovo", "Republic of Kosovo"],
    "VGB": ["BVI", "B.V.I."],
    "VIR": ["USVI", "U.S.V.I."],
    "TCA": ["TCI"],
}

# Aliases from the CSV that are too ambiguous in running prose.
_SKIP_ALIASES = {"Lao", "Micronesia", "Macedonia"}

# Surfaces that are names of states but also common words or first names: a
# match is dropped when a capitalised word touches it ("Michael Jordan", "Chad Smith").
AMBIGUOUS_STATE_SURFACES = {
    "Chad", "Jordan", "Georgia", "Turkey", "Jersey", "Guernsey", "Reunion", "Dominica", "Grenada",
    "the West", "Kuwait",
}

# States missing from countries.csv (partially recognised): code, name. No QID is bundled for them.
EXTRA_STATES: list[tuple[str, str]] = [("XKX", "Kosovo")]

# Historical states (not in countries.csv). Codes: ISO 3166-3 where one exists
# (SUN, DDR, YUG, CSK, SCG, VDR, YMD, ZAR, RHO), a project code otherwise.
# QIDs only from entities_verified.csv (looked up by name at load time).
HISTORICAL_STATES: list[tuple[str, str, list[str], list[str]]] = [
    # code, name, aliases, demonyms
    ("SUN", "Soviet Union", ["USSR", "U.S.S.R.", "Union of Soviet Socialist Republics"], ["Soviet", "Soviets"]),
    ("DDR", "East Germany", ["GDR", "German Democratic Republic"], ["East German", "East Germans"]),
    ("FRG", "West Germany", [], ["West German", "West Germans"]),
    ("YUG", "Yugoslavia", ["Socialist Federal Republic of Yugoslavia", "Kingdom of Yugoslavia"],
     ["Yugoslav", "Yugoslavian", "Yugoslavs"]),
    ("CSK", "Czechoslovakia", [], ["Czechoslovak", "Czechoslovakian"]),
    ("SCG", "Serbia and Montenegro", [], []),
    ("VDR", "North Vietnam", ["Democratic Republic of Vietnam"], ["North Vietnamese"]),
    ("RVN", "South Vietnam", ["Republic of Vietnam"], ["South Vietnamese"]),
    ("YMD", "South Yemen", ["People's Democratic Republic of Yemen"], []),
    ("ZAR", "Zaire", [], []),
    ("RHO", "Rhodesia", [], ["Rhodesian", "Rhodesians"]),
    ("OTT", "Ottoman Empire", ["Ottoman state"], ["Ottoman", "Ottomans"]),
    ("AUH", "Austria-Hungary", ["Austro-Hungarian Empire"], ["Austro-Hungarian"]),
    ("PRU", "Prussia", ["Kingdom of Prussia"], ["Prussian", "Prussians"]),
    ("RUE", "Russian Empire", ["Tsarist Russia", "Imperial Russia"], ["Tsarist"]),
    ("EJP", "Empire of Japan", ["Imperial Japan"], []),
    ("MCK", "Manchukuo", [], []),
]

# Demonyms and adjectives -> state (data/demonyms.csv). Plural nouns are derived ("Americans").
DEMONYMS: dict[str, list[str]] = {}
for _row in read_table("demonyms.csv"):
    DEMONYMS.setdefault(_row["iso3"], []).append(_row["demonym"])

# Plural nouns that are not the adjective + "s".
DEMONYM_PLURALS: dict[str, list[str]] = {
    "GBR": ["Britons", "Brits"], "FRA": ["Frenchmen"], "DNK": ["Danes"], "FIN": ["Finns"],
    "POL": ["Poles"], "ESP": ["Spaniards"], "SWE": ["Swedes"], "TUR": ["Turks"],
    "NLD": ["Dutchmen"], "PHL": ["Filipinos"], "NZL": ["New Zealanders", "Kiwis"],
    "KAZ": ["Kazakhs"], "UZB": ["Uzbeks"], "TJK": ["Tajiks"], "SRB": ["Serbs"],
}
# Adjectives whose "+s" plural is wrong or that have no plural use.
_NO_S_PLURAL = {"Chinese", "Japanese", "Vietnamese", "Burmese", "Lebanese", "Sudanese", "South Sudanese",
                "Senegalese", "Maltese", "Portuguese", "Nepalese", "Gabonese", "Congolese", "Taiwanese",
                "Swiss", "French", "British", "Irish", "Dutch", "Danish", "Finnish", "Polish", "Spanish",
                "Swedish", "Turkish", "Icelandic", "Luxembourgish", "Thai", "Kyrgyz", "Turkmen", "Malagasy",
                "Philippine", "Czech", "Slovak", "Timorese", "Bhutanese", "U.S.-American", "Filipino",
                "Kazakh", "Uzbek", "Tajik", "Serb"}

# Prefix forms used only before a hyphen ("Sino-Japanese").
HYPHEN_PREFIXES: dict[str, str] = {"Sino": "CHN", "Russo": "RUS", "Franco": "FRA", "Anglo": "GBR",
                                   "Indo": "IND", "Turco": "TUR", "Nippo": "JPN", "Irano": "IRN"}
_HYPHEN_PREFIX_BLOCK = {"Indo-Pacific", "Indo-China", "Indochina", "Anglo-Saxon", "Anglo-American",
                        "Indo-European", "Anglo-Saxons", "Franco-era"}

# Capitals (and a few other cities) that stand for their state when used as actors (data/capitals.csv).
CAPITALS: dict[str, list[str]] = {}
for _row in read_table("capitals.csv"):
    CAPITALS.setdefault(_row["iso3"], []).append(_row["name"])
# "Brussels" usually means the EU: it stands for Belgium only as a place (stands_for_state=no).
ACTOR_BLOCKED_CAPITALS = {row["name"] for row in read_table("capitals.csv") if row["stands_for_state"] == "no"}

# Seats of power and government bodies that stand for their state.
SEATS: dict[str, list[str]] = {
    "USA": ["White House", "Pentagon", "State Department", "Department of State", "Foggy Bottom",
            "Oval Office", "Capitol Hill"],
    "RUS": ["Kremlin"], "CHN": ["Zhongnanhai"], "GBR": ["Downing Street", "Whitehall"],
    "FRA": ["Élysée", "Élysée Palace", "Elysee", "Elysee Palace", "Quai d'Orsay", "Quai d’Orsay"],
    "KOR": ["Blue House", "Cheong Wa Dae"], "JPN": ["Kantei", "Kasumigaseki"],
    "IND": ["South Block", "Raisina Hill"], "DEU": ["Bundeskanzleramt"],
    "TUR": ["Beştepe", "Bestepe"],
}

# Regions and other non-state places (canonical name -> surfaces). QIDs only from entities_verified.csv.
REGIONS: dict[str, list[str]] = {
    "Asia-Pacific": ["Asia-Pacific", "Asia Pacific", "Asia–Pacific"],
    "Indo-Pacific": ["Indo-Pacific", "Indo Pacific"],
    "Middle East": ["Middle East", "Mideast"],
    "Near East": ["Near East"], "Far East": ["Far East"],
    "Europe": ["Europe"], "Western Europe": ["Western Europe"], "Eastern Europe": ["Eastern Europe"],
    "Central Europe": ["Central Europe"], "Northern Europe": ["Northern Europe"],
    "Southern Europe": ["Southern Europe"], "Central and Eastern Europe": ["Central and Eastern Europe"],
    "Asia": ["Asia"], "East Asia": ["East Asia"], "Southeast Asia": ["Southeast Asia", "South-East Asia", "South East Asia"],
    "South Asia": ["South Asia"], "Central Asia": ["Central Asia"], "Northeast Asia": ["Northeast Asia", "North-East Asia", "North East Asia"],
    "West Asia": ["West Asia", "Western Asia"], "Eurasia": ["Eurasia"],
    "Africa": ["Africa"], "North Africa": ["North Africa"], "West Africa": ["West Africa"],
    "East Africa": ["East Africa"], "Sub-Saharan Africa": ["Sub-Saharan Africa", "sub-Saharan Africa"],
    "Horn of Africa": ["Horn of Africa"], "Sahel": ["Sahel"], "Maghreb": ["Maghreb"], "Levant": ["Levant"],
    "Latin America": ["Latin America"], "South America": ["South America"], "North America": ["North America"],
    "Central America": ["Central America"], "Americas": ["the Americas", "Americas"],
    "Caribbean": ["Caribbean"], "Balkans": ["Balkans", "Western Balkans"], "Caucasus": ["Caucasus", "South Caucasus", "North Caucasus"],
    "Persian Gulf": ["Persian Gulf", "Arabian Gulf"], "Gulf": ["Gulf region"],
    "Arctic": ["Arctic"], "Antarctica": ["Antarctica", "Antarctic"], "Pacific": ["Pacific", "Pacific Ocean"],
    "Indian Ocean": ["Indian Ocean"], "Atlantic": ["Atlantic", "Atlantic Ocean"],
    "South China Sea": ["South China Sea"], "East China Sea": ["East China Sea"],
    "Black Sea": ["Black Sea"], "Baltic": ["Baltic Sea", "Baltics", "Baltic states", "Baltic region"],
    "Mediterranean": ["Mediterranean"], "Red Sea": ["Red Sea"], "Sea of Japan": ["Sea of Japan"],
    "Korean Peninsula": ["Korean Peninsula", "Korean peninsula"], "Taiwan Strait": ["Taiwan Strait", "Taiwan Straits"],
    "Gulf of Guinea": ["Gulf of Guinea"], "Gulf of Aden": ["Gulf of Aden"], "Gulf of Mexico": ["Gulf of Mexico"],
    "Gulf of Oman": ["Gulf of Oman"], "Gulf of Thailand": ["Gulf of Thailand"], "Bay of Bengal": ["Bay of Bengal"],
    "Strait of Malacca": ["Strait of Malacca", "Malacca Strait"], "Strait of Hormuz": ["Strait of Hormuz"],
    "Bab el-Mandeb": ["Bab el-Mandeb", "Bab-el-Mandeb"], "Lake Chad": ["Lake Chad", "Lake Chad Basin"],
    "Sea of Okhotsk": ["Sea of Okhotsk"], "Yellow Sea": ["Yellow Sea"], "Arabian Sea": ["Arabian Sea"],
    "Caspian Sea": ["Caspian Sea"], "Aegean Sea": ["Aegean Sea", "Aegean"], "Himalayas": ["Himalayas", "Himalaya"],
    "Kuril Islands": ["Kuril Islands", "Kurile Islands", "Kurils"], "Senkaku Islands": ["Senkaku Islands", "Senkakus"],
    "Spratly Islands": ["Spratly Islands", "Spratlys"], "Paracel Islands": ["Paracel Islands", "Paracels"],
    "Golan Heights": ["Golan Heights"], "Sinai": ["Sinai", "Sinai Peninsula"], "Manchuria": ["Manchuria"],
    "Scandinavia": ["Scandinavia"], "Nordic countries": ["Nordic countries", "Nordics"],
    "Oceania": ["Oceania"], "South Pacific": ["South Pacific"], "Global South": ["Global South"],
    "the West": ["the West"], "West Bank": ["West Bank", "the West Bank"], "Gaza": ["Gaza", "Gaza Strip"],
    "Crimea": ["Crimea"], "Donbas": ["Donbas", "Donbass"], "Kashmir": ["Kashmir"],
    "Xinjiang": ["Xinjiang"], "Tibet": ["Tibet"], "Kurdistan": ["Kurdistan"],
    "Nagorno-Karabakh": ["Nagorno-Karabakh", "Karabakh"],
}
# Other non-state places; "Korea" alone is the peninsula / historical Korea, never a schema:Country.
OTHER_PLACES: dict[str, list[str]] = {
    "Korea": ["Korea", "the Koreas"],
    "England": ["England"], "Scotland": ["Scotland"], "Wales": ["Wales"], "Northern Ireland": ["Northern Ireland"],
    "New Jersey": ["New Jersey"], "New Mexico": ["New Mexico"], "New England": ["New England"],
    "Okinawa": ["Okinawa"], "Hokkaido": ["Hokkaido"], "Jeju": ["Jeju", "Jeju Island"],
    "Hiroshima": ["Hiroshima"], "Nagasaki": ["Nagasaki"], "Busan": ["Busan", "Pusan"], "Osaka": ["Osaka"],
    "Shanghai": ["Shanghai"], "Hong Kong": [],  # Hong Kong is a countries.csv territory
    "Camp David": ["Camp David"], "Guam": [],
    "British Guiana": ["British Guiana"], "British India": ["British India", "the British Raj"],
    "French Indochina": ["French Indochina"], "Dutch East Indies": ["Dutch East Indies"],
    "Belgian Congo": ["Belgian Congo"], "French West Africa": ["French West Africa"],
    "Portuguese Africa": ["Portuguese Africa"], "British Empire": ["British Empire"],
}
# The state a place lies in (ISO 3166 alpha-3), for places whose state is not in dispute:
# a claim about Gaza or Okinawa is also about Palestine or Japan.
PLACE_STATES: dict[str, str] = {
    "Gaza": "PSE", "West Bank": "PSE",
    "Crimea": "UKR", "Donbas": "UKR",
    "Xinjiang": "CHN", "Tibet": "CHN", "Shanghai": "CHN", "Manchuria": "CHN",
    "Okinawa": "JPN", "Hokkaido": "JPN", "Hiroshima": "JPN", "Nagasaki": "JPN", "Osaka": "JPN",
    "Jeju": "KOR", "Busan": "KOR",
    "England": "GBR", "Scotland": "GBR", "Wales": "GBR", "Northern Ireland": "GBR",
    "New Jersey": "USA", "New Mexico": "USA", "New England": "USA", "Camp David": "USA",
}
# Spans that must not match anything ("Washington Post" is handled as an org).
IGNORE: list[str] = [
    "Native American", "Native Americans", "American Indian", "American Indians", "Latin American",
    "Latin Americans", "North American", "South American", "Central American", "West Indies",
    "West Indian", "Turkish Delight", "guinea pig", "Chinese New Year", "China Sea", "French fries",
    "Georgia Tech", "Jordan River", "Dutch disease", "Chinese whispers", "Russian roulette",
    "Indian summer", "Mexican standoff", "Spanish flu", "Washington Consensus",
]

# Organizations this domain names most (data/organizations.csv; sources in data/SOURCES.md).
ORGS: list[OrgInfo] = [
    OrgInfo(row["name"], tuple(a for a in row["aliases"].split("|") if a), row["kind"] or None,
            row["country"] or None, row["wikidata"] or None)
    for row in read_table("organizations.csv")
]

EVENTS: dict[str, list[str]] = {
    "Second World War": ["Second World War", "World War II", "World War Two", "WWII", "WW2"],
    "First World War": ["First World War", "World War I", "World War One", "WWI", "WW1", "Great War"],
    "Cold War": ["Cold War"], "Korean War": ["Korean War"], "Vietnam War": ["Vietnam War"],
    "Gulf War": ["Gulf War", "First Gulf War"], "Iraq War": ["Iraq War"], "War in Afghanistan": ["War in Afghanistan", "Afghan War"],
    "War on Terror": ["War on Terror", "war on terror", "Global War on Terror", "war on terrorism"],
    "Russian invasion of Ukraine": ["Russian invasion of Ukraine", "invasion of Ukraine", "Russia-Ukraine war",
                                    "Russia–Ukraine war", "Russo-Ukrainian War", "war in Ukraine", "Ukraine war"],
    "Six-Day War": ["Six-Day War"], "Yom Kippur War": ["Yom Kippur War"], "Falklands War": ["Falklands War"],
    "Cuban Missile Crisis": ["Cuban Missile Crisis"], "Arab Spring": ["Arab Spring"],
    "September 11 attacks": ["September 11 attacks", "9/11"], "Russo-Japanese War": ["Russo-Japanese War"],
    "First Sino-Japanese War": ["First Sino-Japanese War"], "Second Sino-Japanese War": ["Second Sino-Japanese War"],
    "Pacific War": ["Pacific War"], "Bosnian War": ["Bosnian War"], "Kosovo War": ["Kosovo War"],
    "Yugoslav Wars": ["Yugoslav Wars"], "Syrian civil war": ["Syrian civil war", "Syrian Civil War"],
    "Fall of the Berlin Wall": ["fall of the Berlin Wall", "Fall of the Berlin Wall"],
    "German reunification": ["German reunification", "reunification of Germany"],
    "Cultural Revolution": ["Cultural Revolution"], "Tiananmen Square protests": ["Tiananmen Square protests", "Tiananmen massacre"],
    "Iranian Revolution": ["Iranian Revolution", "Islamic Revolution"], "Crimean War": ["Crimean War"],
    "Munich Agreement": ["Munich Agreement"], "Helsinki Accords": ["Helsinki Accords"],
}

# Native-script and English names of languages: never a state, never a person (data/languages.csv).
LANGUAGES: set[str] = {row["name"] for row in read_table("languages.csv") if "never_entity" in row["uses"].split("|")}

# Titles that make a post in apposition ("Japanese Prime Minister Fumio Kishida").
TITLES: list[str] = [
    "President", "Vice President", "Vice-President", "Prime Minister", "Deputy Prime Minister",
    "Foreign Minister", "Defense Minister", "Defence Minister", "Finance Minister", "Interior Minister",
    "Minister of Foreign Affairs", "Minister of Defense", "Minister of Defence", "Minister", "Premier",
    "Secretary of State", "Secretary of Defense", "Defense Secretary", "Foreign Secretary", "Home Secretary",
    "Secretary General", "Secretary-General", "General Secretary", "Chancellor", "King", "Queen",
    "Crown Prince", "Emperor", "Empress", "Supreme Leader", "Chairman", "Chairwoman", "Chair",
    "Ambassador", "Senator", "Congressman", "Congresswoman", "Governor", "Mayor", "Speaker",
    "National Security Adviser", "National Security Advisor", "Chief of Staff", "Director",
    "Commissioner", "High Representative", "Spokesperson", "Spokesman", "Spokeswoman", "Pope",
    "Leader", "Opposition Leader", "Envoy", "Special Envoy", "Admiral", "General", "Marshal",
    "Foreign Ministry Spokesperson", "Sultan", "Emir", "Sheikh", "Prince", "Princess", "Dictator",
]

# Well-known people (data/people.csv; QIDs come from entities_verified.csv when listed there).
KNOWN_PEOPLE: list[KnownPerson] = [
    KnownPerson(row["name"], row["state"] or None, tuple(a for a in row["aliases"].split("|") if a))
    for row in read_table("people.csv")
]


# ------------------------------------------------------------------------ loading

def _read_csv(name: str) -> list[dict[str, str]]:
    with resources.files("claimgraph").joinpath("data", name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


_PLAIN_NAME = re.compile(r"^[A-ZÀ-Þ][\w'’ -]*[\w.]$")


@dataclass
class Gazetteer:
    states: dict[str, StateInfo] = field(default_factory=dict)
    orgs: dict[str, OrgInfo] = field(default_factory=dict)  # canonical name -> info
    places: dict[str, PlaceInfo] = field(default_factory=dict)  # canonical name -> info (regions, capitals as places)
    capital_places: dict[str, str] = field(default_factory=dict)  # capital surface -> place name
    seat_orgs: dict[str, str] = field(default_factory=dict)  # seat surface -> the government body it names
    events: dict[str, str | None] = field(default_factory=dict)  # canonical name -> QID
    verified_people: dict[str, tuple[str, str]] = field(default_factory=dict)  # slug -> (label, qid)
    known_people: dict[str, KnownPerson] = field(default_factory=dict)  # slug of name or alias -> person
    demonym_surfaces: set[str] = field(default_factory=set)
    state_surfaces: set[str] = field(default_factory=set)
    _index: dict[str, list[tuple[str, HitKind, str]]] = field(default_factory=dict)

    # -- building
    def _add(self, surface: str, kind: HitKind, target: str) -> None:
        surface = surface.strip()
        if not surface:
            return
        variants = {surface}
        if "'" in surface:
            variants.add(surface.replace("'", "’"))
        for v in variants:
            m = _FIRST_WORD.match(v)
            if not m:
                continue
            bucket = self._index.setdefault(m.group(0), [])
            if all(s != v for s, _, _ in bucket):
                bucket.append((v, kind, target))

    def _finish(self) -> None:
        for bucket in self._index.values():
            bucket.sort(key=lambda e: len(e[0]), reverse=True)

    # -- lookups
    def state(self, code: str) -> StateInfo:
        return self.states[code]

    def is_state_word(self, word: str) -> bool:
        return word in self.state_surfaces or word in self.demonym_surfaces

    def verified_person(self, name: str) -> tuple[str, str] | None:
        return self.verified_people.get(slugify(name))

    def known_person(self, name: str) -> KnownPerson | None:
        return self.known_people.get(slugify(name))

    def org_by_surface(self, surface: str) -> OrgInfo | None:
        for cand, kind, target in self._index.get(_first_word(surface), []):
            if cand == surface and kind is HitKind.ORG:
                return self.orgs[target]
        return None

    # -- matching
    def match(self, text: str, *, extra_languages: set[str] | frozenset[str] = frozenset(),
              _only: tuple[HitKind, ...] | None = None) -> list[Hit]:
        """Longest, leftmost, word-bounded matches of every gazetteer surface in `text`.

        IGNORE and LANGUAGE spans are returned too (callers drop them); state names
        inside an organisation's or event's name are returned as extra hits
        ("Japan" in "Japan Times"), capitals inside them are not.
        """
        hits: list[Hit] = []
        n = len(text)
        pos = 0
        for m in _WORD_START.finditer(text):
            i = m.start()
            if i < pos:
                continue
            word = m.group(0)
            best = None
            for surface, kind, target in self._index.get(word, ()):
                if _only is not None and kind not in _only:
                    continue
                end = i + len(surface)
                if text.startswith(surface, i) and (end >= n or not _is_word_char(text[end])):
                    if target in HYPHEN_PREFIXES.values() and surface in HYPHEN_PREFIXES:
                        if end >= n or text[end] not in "-–":
                            continue
                        tail = re.match(r"[-–][\w]+", text[end:])
                        if tail and (surface + tail.group(0)) in _HYPHEN_PREFIX_BLOCK:
                            continue
                    best = (surface, kind, target, end)
                    break
            if best is None:
                if word in extra_languages:
                    hits.append(Hit(i, i + len(word), word, HitKind.LANGUAGE, word))
                    pos = i + len(word)
                continue
            surface, kind, target, end = best
            if kind in (HitKind.STATE, HitKind.CAPITAL, HitKind.REGION) and surface in _AMBIGUOUS:
                if _touches_capitalised_word(text, i, end):
                    continue  # part of another name ("Michael Jordan", "the West German"): scan on
            hits.append(Hit(i, end, text[i:end], kind, target))
            if kind in (HitKind.ORG, HitKind.EVENT):
                for inner in self.match(text[i:end], _only=(HitKind.STATE, HitKind.DEMONYM)):
                    if (inner.start, inner.end) != (0, end - i):
                        hits.append(Hit(i + inner.start, i + inner.end, inner.text, inner.kind, inner.target))
            pos = end
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits


_FIRST_WORD = re.compile(r"[^\W_]+|[^\w\s]")
_WORD_START = re.compile(r"(?<![^\W_])[^\W_]+")
_AMBIGUOUS_CAPITALS = {"Washington", "Paris", "Victoria", "Lima", "Santiago", "Wellington", "London",
                       "Jakarta", "Rome", "Berlin", "Sofia", "Riga", "Delhi", "Amman", "Moscow", "Tripoli"}


_AMBIGUOUS = AMBIGUOUS_STATE_SURFACES | _AMBIGUOUS_CAPITALS


def _first_word(surface: str) -> str:
    m = _FIRST_WORD.match(surface)
    return m.group(0) if m else surface


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_CAP_WORD_AFTER = re.compile(r"^[ \t]+([A-Z][a-z]+)")
_CAP_WORD_BEFORE = re.compile(r"([A-Z][a-z]+)[ \t]+$")
# Capitalised words that may touch an ambiguous name without making it part of another name.
_TOUCH_OK = {
    "The", "In", "On", "At", "For", "And", "But", "As", "If", "When", "While", "After", "Before", "Since",
    "With", "From", "To", "Of", "By", "Both", "Even", "Today", "Yet", "So", "Only", "Meanwhile", "Still",
    "Government", "Administration", "Ministry", "Foreign", "Prime", "President", "Army", "Navy",
    "Communist", "Red", "Mainland", "Imperial", "Beijing", "Moscow", "Tokyo", "Seoul", "Washington",
    "Taipei", "Pyongyang", "Kremlin", "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday",
    "Friday", "Saturday", "Sunday", "Iran", "Iraq", "Russia", "Japan", "Korea", "Turkey", "Syria", "Egypt",
    "Israel", "Pakistan", "Afghanistan", "Ukraine", "Germany", "France", "Britain", "Canada", "Australia",
    # closed-class words, capitalised only because they open a sentence or a heading
    "Inside", "Outside", "Across", "Within", "Beyond", "Against", "Unlike", "Like", "Without", "Through",
    "Throughout", "Towards", "Toward", "Despite", "Under", "Over", "Between", "Among", "Around", "Near", "Via",
    "Until", "Once", "Although", "Though", "Because", "Whether", "Where", "Why", "How", "What", "Which", "Who",
    "Does", "Did", "Do", "Can", "Will", "Would", "Should", "Could", "May", "Might", "Must", "Has", "Have", "Had",
    "Is", "Was", "Are", "Were", "Not", "No", "Neither", "Nor", "Either", "Also", "Then", "Now", "Here", "There",
    "Thus", "Hence", "Indeed", "Moreover", "However", "Unless", "Whereas", "Nor", "Every", "Each", "All",
    "Most", "Many", "Some", "Such", "That", "This", "These", "Those", "Its", "Their", "His", "Her", "Our",
    "Why", "Upon", "About", "Into", "Onto", "Behind", "Above", "Below", "Along", "Amid", "Amidst", "Per",
    "Why", "Nor", "Perhaps", "Ultimately", "Finally", "First", "Second", "Third", "Last", "Next", "Whatever",
}


def _touches_capitalised_word(text: str, start: int, end: int) -> bool:
    after = _CAP_WORD_AFTER.match(text[end:end + 40])
    if after and after.group(1) not in _TOUCH_OK:
        return True
    before = _CAP_WORD_BEFORE.search(text[max(0, start - 40):start])
    if before and before.group(1) not in _TOUCH_OK:
        return True
    return False


def _plurals(adjective: str) -> list[str]:
    if adjective in _NO_S_PLURAL:
        return []
    return [adjective + "s"]


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """Build (once) the gazetteer from the bundled CSV files and the tables above."""
    g = Gazetteer()
    verified = _read_csv("entities_verified.csv")
    verified_by_kind: dict[str, dict[str, str]] = {}
    for row in verified:
        verified_by_kind.setdefault(row["kind"], {})[row["label"]] = row["wikidata"]
    for label, qid in verified_by_kind.get("person", {}).items():
        g.verified_people[slugify(label)] = (label, qid)

    # states from countries.csv
    for row in _read_csv("countries.csv"):
        code = row["iso3"].strip().upper()
        name = re.sub(r"\s*\(.*?\)\s*", " ", row["name"]).strip()
        if code == "ATA":  # Antarctica: a region, not a state
            continue
        g.states[code] = StateInfo(code, name, row["wikidata"].strip() or None)
        surfaces = {name, row["name"].strip()}
        label = row["wikidata_label"].strip()
        if label and _PLAIN_NAME.match(label):
            surfaces.add(label)
        for alias in (row.get("aliases") or "").split("|"):
            alias = alias.strip()
            if alias and _PLAIN_NAME.match(alias) and alias not in _SKIP_ALIASES:
                surfaces.add(alias)
        for s in surfaces:
            if _PLAIN_NAME.match(s) or s in STATE_VARIANTS.get(code, []):
                g._add(s, HitKind.STATE, code)
                g.state_surfaces.add(s)
    for code, name in EXTRA_STATES:
        g.states.setdefault(code, StateInfo(code, name, None))
    for code, variants in STATE_VARIANTS.items():
        for s in variants:
            g._add(s, HitKind.STATE, code)
            g.state_surfaces.add(s)
    # historical states
    verified_states = verified_by_kind.get("state", {})
    for code, name, aliases, demonyms in HISTORICAL_STATES:
        g.states[code] = StateInfo(code, name, verified_states.get(name), historical=True)
        for s in [name, *aliases]:
            g._add(s, HitKind.STATE, code)
            g.state_surfaces.add(s)
        for d in demonyms:
            g._add(d, HitKind.DEMONYM, code)
            g.demonym_surfaces.add(d)
    # demonyms
    for code, adjs in DEMONYMS.items():
        for adj in adjs:
            for s in [adj, *_plurals(adj)]:
                g._add(s, HitKind.DEMONYM, code)
                g.demonym_surfaces.add(s)
    for code, plurals in DEMONYM_PLURALS.items():
        for s in plurals:
            g._add(s, HitKind.DEMONYM, code)
            g.demonym_surfaces.add(s)
    for prefix, code in HYPHEN_PREFIXES.items():
        g._add(prefix, HitKind.DEMONYM, code)
    # capitals and seats
    verified_places = verified_by_kind.get("place", {})
    for code, names in CAPITALS.items():
        for s in names:
            g._add(s, HitKind.CAPITAL, code)
            place_name = s
            qid = verified_places.get(s)
            if qid is None:
                for label, q in verified_places.items():
                    if label.split(",")[0] == s.split(",")[0]:
                        place_name, qid = label, q
                        break
            g.capital_places[s] = place_name
            g.places.setdefault(place_name, PlaceInfo(place_name, qid))
    for code, names in SEATS.items():
        for s in names:
            g._add(s, HitKind.SEAT, code)
    # regions and other places
    for name, surfaces in {**REGIONS, **OTHER_PLACES}.items():
        g.places.setdefault(name, PlaceInfo(name, verified_places.get(name)))
        kind = HitKind.REGION if name in REGIONS else HitKind.PLACE
        for s in surfaces:
            g._add(s, kind, name)
    for s in IGNORE:
        g._add(s, HitKind.IGNORE, s)
    # organisations (verified labels and QIDs win)
    verified_orgs = verified_by_kind.get("organization", {})
    for info in ORGS:
        qid = info.wikidata or verified_orgs.get(info.name)
        info = OrgInfo(info.name, info.aliases, info.kind, info.country, qid)
        g.orgs[info.name] = info
        for s in (info.name, *info.aliases):
            g._add(s, HitKind.ORG, info.name)
    # a seat of power is also the government body that sits there ("the Pentagon" -> the US
    # Department of Defense, "the Kremlin"), when organizations.csv lists it
    surfaces = {s: info.name for info in g.orgs.values() for s in (info.name, *info.aliases)}
    for names in SEATS.values():
        for s in names:
            if s in surfaces:
                g.seat_orgs[s] = surfaces[s]
    for label, qid in verified_orgs.items():
        if label in g.orgs or label in SEATS.get("USA", []):
            continue  # "White House" is a seat of power
        g.orgs[label] = OrgInfo(label, (), None, None, qid)
        g._add(label, HitKind.ORG, label)
    # events
    for name, surfaces in EVENTS.items():
        g.events[name] = None
        for s in surfaces:
            g._add(s, HitKind.EVENT, name)
    # languages
    for s in LANGUAGES:
        g._add(s, HitKind.LANGUAGE, s)
    # people
    for person in KNOWN_PEOPLE:
        v = g.verified_people.get(slugify(person.name))
        kp = KnownPerson(person.name, person.state, person.aliases, v[1] if v else None)
        for s in (person.name, *person.aliases):
            g.known_people.setdefault(slugify(s), kp)
    g._finish()
    return g

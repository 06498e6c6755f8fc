"""Read the ontology and lexicon under ``ontologies/`` into plain lookup tables.

The ontology (``kg.ttl``) defines classes, relation properties and the words that express them; ``actors.ttl``
names well-known actors and their aliases; ``countries.tsv`` gives country names, demonyms and capitals
(pycountry adds the official ISO names). Extraction reads only what this module returns.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, SKOS, DefinedNamespace
from rdflib.term import Node

from kg.errors import OntologyError

ONTOLOGY_IRI = "https://w3id.org/kg-news/ontology#"
ID_BASE = "https://w3id.org/kg-news/id/"


class KG(DefinedNamespace):
    """The kg ontology namespace; a term that is not defined here raises (typos fail fast)."""

    _NS = Namespace(ONTOLOGY_IRI)
    _fail = True

    # classes
    Actor: URIRef
    Person: URIRef
    Organization: URIRef
    ArmedGroup: URIRef
    Group: URIRef
    Place: URIRef
    Country: URIRef
    City: URIRef
    Region: URIRef
    Title: URIRef
    Document: URIRef
    Assertion: URIRef
    # relations
    killed: URIRef
    attacked: URIRef
    opposes: URIRef
    alliedWith: URIRef
    supports: URIRef
    leaderOf: URIRef
    memberOf: URIRef
    locatedIn: URIRef
    livesIn: URIRef
    killedBy: URIRef
    hasLeader: URIRef
    hasMember: URIRef
    supportedBy: URIRef
    # lexicon annotation properties
    spacyLabel: URIRef
    headNoun: URIRef
    typeNoun: URIRef
    collectiveNoun: URIRef
    priority: URIRef
    triggerVerb: URIRef
    triggerNoun: URIRef
    roleNoun: URIRef
    qualifiedRoleProperty: URIRef
    objectPreposition: URIRef
    antiPrefix: URIRef
    baseConfidence: URIRef
    impliesProperty: URIRef
    cameoCode: URIRef
    plover: URIRef
    lexicon: URIRef
    word: URIRef
    pattern: URIRef
    # word lists
    ProxyNouns: URIRef
    LightVerbs: URIRef
    InstrumentPrepositions: URIRef
    LocativePrepositions: URIRef
    HedgeWords: URIRef
    NeutralRoleModifiers: URIRef
    NegationWords: URIRef
    ReciprocalWords: URIRef
    Pronouns: URIRef
    NonActorNames: URIRef
    Boilerplate: URIRef
    # output vocabulary (provenance and documents)
    mentionCount: URIRef
    mentionedIn: URIRef
    confidence: URIRef
    negated: URIRef
    hedged: URIRef
    rule: URIRef
    sentence: URIRef
    sentenceStart: URIRef
    sentenceEnd: URIRef
    evidenceStart: URIRef
    evidenceEnd: URIRef
    dateText: URIRef
    document: URIRef


@dataclass(frozen=True, slots=True)
class EntityClass:
    """One ontology class with the words that point to it."""

    name: str
    label: str
    parents: tuple[str, ...]
    spacy_labels: frozenset[str]
    type_nouns: frozenset[str]
    head_nouns: frozenset[str]
    collective_nouns: frozenset[str]
    priority: int


@dataclass(frozen=True, slots=True)
class RelationType:
    """One relation property with its constraints and trigger words.

    ``noun_preps`` maps a trigger noun to the prepositions it accepts when the ontology pins one ("mission
    against"); an empty set means the property's ``object_preps`` apply.
    """

    name: str
    label: str
    domain: frozenset[str]
    range: frozenset[str]
    symmetric: bool
    verbs: frozenset[str]
    nouns: frozenset[str]
    noun_preps: dict[str, frozenset[str]]
    roles: frozenset[str]
    object_preps: frozenset[str]
    anti_prefix: bool
    base_confidence: float
    qualified: str | None
    cameo: tuple[str, ...]
    plover: str | None


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """A known surface form: which actor it names and how (name, demonym, capital, metonym)."""

    key: str
    label: str
    cls: str
    kind: str


@dataclass(frozen=True)
class Ontology:
    """Everything extraction and resolution need from ``ontologies/``."""

    directory: Path
    classes: dict[str, EntityClass]
    relations: dict[str, RelationType]
    titles: dict[str, str | None]
    gazetteer: dict[str, GazetteerEntry]
    words: dict[str, frozenset[str]]
    boilerplate: tuple[re.Pattern[str], ...]

    def is_a(self, cls: str, ancestor: str) -> bool:
        """Whether ``cls`` is ``ancestor`` or one of its subclasses."""
        seen: set[str] = set()
        todo = [cls]
        while todo:
            cur = todo.pop()
            if cur == ancestor:
                return True
            if cur in seen or cur not in self.classes:
                continue
            seen.add(cur)
            todo.extend(self.classes[cur].parents)
        return False

    def fits(self, cls: str, allowed: Iterable[str]) -> bool:
        """Whether ``cls`` is a subclass of any of ``allowed``."""
        return any(self.is_a(cls, a) for a in allowed)

    def word_list(self, name: str) -> frozenset[str]:
        """The word list ``name`` (``ProxyNouns``, ``HedgeWords`` ...)."""
        try:
            return self.words[name]
        except KeyError:
            raise OntologyError(
                f"unknown word list '{name}'; the ontology defines: {', '.join(sorted(self.words))}"
            ) from None

    def class_for_spacy_label(self, label: str) -> str | None:
        """The class a bare spaCy NER label maps to, or None for labels kg ignores."""
        for cls in self.classes.values():
            if label in cls.spacy_labels:
                return cls.name
        return None


def default_directory() -> Path:
    """Where the ontology lives: ``$KG_ONTOLOGY_DIR``, the installed package, or the source tree."""
    env = os.environ.get("KG_ONTOLOGY_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here / "ontologies", here.parent / "ontologies"):
        if (candidate / "kg.ttl").is_file():
            return candidate
    raise OntologyError(f"cannot find the ontology: no kg.ttl in {here / 'ontologies'} or {here.parent / 'ontologies'}")


def _local(iri: object) -> str:
    text = str(iri)
    return text[len(ONTOLOGY_IRI) :] if text.startswith(ONTOLOGY_IRI) else text.rsplit("/", 1)[-1]


def _strings(g: Graph, subject: object, predicate: URIRef) -> frozenset[str]:
    return frozenset(str(o) for o in g.objects(subject, predicate) if isinstance(o, Literal))  # type: ignore[arg-type]


def _class_set(g: Graph, node: Node | None) -> frozenset[str]:
    if node is None:
        return frozenset({"Actor"})
    union = g.value(node, OWL.unionOf)
    if union is not None:
        return frozenset(_local(c) for c in Collection(g, union))
    return frozenset({_local(node)})


def _load_classes(g: Graph) -> dict[str, EntityClass]:
    classes: dict[str, EntityClass] = {}
    for c in g.subjects(RDF.type, OWL.Class):
        if not isinstance(c, URIRef) or not str(c).startswith(ONTOLOGY_IRI):
            continue
        name = _local(c)
        prio = g.value(c, KG.priority)
        classes[name] = EntityClass(
            name=name,
            label=str(g.value(c, RDFS.label) or name),
            parents=tuple(sorted(_local(p) for p in g.objects(c, RDFS.subClassOf) if str(p).startswith(ONTOLOGY_IRI))),
            spacy_labels=_strings(g, c, KG.spacyLabel),
            type_nouns=_strings(g, c, KG.typeNoun),
            head_nouns=_strings(g, c, KG.headNoun),
            collective_nouns=_strings(g, c, KG.collectiveNoun),
            priority=int(str(prio)) if prio is not None else 0,
        )
    return classes


def _load_relations(g: Graph, classes: dict[str, EntityClass]) -> dict[str, RelationType]:
    relations: dict[str, RelationType] = {}
    for p in g.subjects(RDF.type, OWL.ObjectProperty):
        # Only relation properties carry a base confidence; output properties (kg:document ...) do not.
        if not str(p).startswith(ONTOLOGY_IRI) or g.value(p, KG.baseConfidence) is None:
            continue
        name = _local(p)
        nouns: set[str] = set()
        noun_preps: dict[str, set[str]] = {}
        for entry in _strings(g, p, KG.triggerNoun):
            words = entry.split()
            # "mission against": the noun counts only with that preposition.
            if len(words) == 2 and words[1] in {"against", "on", "with", "of", "to", "into"}:
                nouns.add(words[0])
                noun_preps.setdefault(words[0], set()).add(words[1])
            else:
                nouns.add(entry)
        domain = _class_set(g, g.value(p, RDFS.domain))
        rng = _class_set(g, g.value(p, RDFS.range))
        for cls in domain | rng:
            if cls not in classes:
                raise OntologyError(
                    f"property '{name}' names unknown class '{cls}'; classes: {', '.join(sorted(classes))}"
                )
        qualified = g.value(p, KG.qualifiedRoleProperty)
        conf = g.value(p, KG.baseConfidence)
        plover = g.value(p, KG.plover)
        anti = g.value(p, KG.antiPrefix)
        relations[name] = RelationType(
            name=name,
            label=str(g.value(p, RDFS.label) or name),
            domain=domain,
            range=rng,
            symmetric=(p, RDF.type, OWL.SymmetricProperty) in g,
            verbs=_strings(g, p, KG.triggerVerb),
            nouns=frozenset(nouns),
            noun_preps={k: frozenset(v) for k, v in noun_preps.items()},
            roles=_strings(g, p, KG.roleNoun),
            object_preps=_strings(g, p, KG.objectPreposition),
            anti_prefix=bool(anti.toPython()) if isinstance(anti, Literal) else False,
            base_confidence=float(str(conf)) if conf is not None else 0.7,
            qualified=_local(qualified) if qualified is not None else None,
            cameo=tuple(sorted(_strings(g, p, KG.cameoCode))),
            plover=str(plover) if plover is not None else None,
        )
    return relations


def _load_titles(g: Graph) -> dict[str, str | None]:
    titles: dict[str, str | None] = {}
    for t in g.subjects(RDF.type, KG.Title):
        implied = g.value(t, KG.impliesProperty)
        for label in list(g.objects(t, SKOS.prefLabel)) + list(g.objects(t, SKOS.altLabel)):
            titles[str(label).lower()] = _local(implied) if implied is not None else None
    return titles


def _add(gaz: dict[str, GazetteerEntry], surface: str, entry: GazetteerEntry) -> None:
    surface = surface.strip()
    if surface.lower().startswith("the "):
        surface = surface[4:]
    # The first entry wins: a country name beats another country's capital of the same spelling.
    if surface and surface not in gaz:
        gaz[surface] = entry


def _load_gazetteer(g: Graph, directory: Path) -> dict[str, GazetteerEntry]:
    gaz: dict[str, GazetteerEntry] = {}
    countries = directory / "countries.tsv"
    rows: list[dict[str, str]] = []
    if countries.is_file():
        with countries.open(encoding="utf-8") as fh:
            lines = [line for line in fh if not line.startswith("#")]
        rows = list(csv.DictReader(lines, delimiter="\t"))
    official: dict[str, list[str]] = {}
    try:
        import pycountry

        for c in pycountry.countries:
            names = [c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)]
            official[c.alpha_3] = [n for n in names if n]
    except ImportError:  # pragma: no cover - pycountry is a dependency; the TSV alone still works
        pass

    def split(value: str | None) -> list[str]:
        return [v for v in (value or "").split("|") if v]

    # Names first, then demonyms, capitals and metonyms, so that no capital shadows a country name.
    for row in rows:
        key = f"country/{row['iso3']}"
        label = row["name"]
        entry = GazetteerEntry(key, label, "Country", "name")
        for surface in [label, *split(row.get("aliases")), *official.get(row["iso3"], [])]:
            _add(gaz, surface, entry)
    for row in rows:
        key, label = f"country/{row['iso3']}", row["name"]
        for surface in split(row.get("demonyms")):
            _add(gaz, surface, GazetteerEntry(key, label, "Country", "demonym"))
    for row in rows:
        key, label = f"country/{row['iso3']}", row["name"]
        for kind in ("capitals", "metonyms"):
            for surface in split(row.get(kind)):
                _add(gaz, surface, GazetteerEntry(key, label, "Country", kind.rstrip("s")))
    for actor in sorted(g.subjects(SKOS.prefLabel, None), key=str):
        if not str(actor).startswith(ID_BASE):
            continue
        cls = g.value(actor, RDF.type)
        if cls is None:
            continue
        key = str(actor)[len(ID_BASE) :]
        label = str(g.value(actor, SKOS.prefLabel))
        entry = GazetteerEntry(key, label, _local(cls), "name")
        for surface in [label, *sorted(str(a) for a in g.objects(actor, SKOS.altLabel))]:
            _add(gaz, surface, entry)
    return gaz


def _load_words(g: Graph) -> tuple[dict[str, frozenset[str]], tuple[re.Pattern[str], ...]]:
    words: dict[str, frozenset[str]] = {}
    patterns: list[re.Pattern[str]] = []
    for coll in g.subjects(RDF.type, SKOS.Collection):
        name = _local(coll)
        words[name] = frozenset(w.lower() for w in _strings(g, coll, KG.word))
        for pat in sorted(_strings(g, coll, KG.pattern)):
            try:
                patterns.append(re.compile(pat))
            except re.error as exc:
                raise OntologyError(f"bad regular expression in {name}: '{pat}' ({exc})") from None
    return words, tuple(patterns)


@lru_cache(maxsize=4)
def load_ontology(directory: Path | None = None) -> Ontology:
    """Load and check the ontology under ``directory`` (default: :func:`default_directory`).

    Raises:
        OntologyError: A file is missing, unparsable, or refers to an undefined class.
    """
    directory = Path(directory) if directory is not None else default_directory()
    files = sorted(directory.glob("*.ttl"))
    if not (directory / "kg.ttl").is_file():
        raise OntologyError(f"no kg.ttl in ontology folder '{directory}'")
    g = Graph()
    for f in files:
        try:
            g.parse(f, format="turtle")
        except Exception as exc:  # rdflib raises many parser types; all mean the same to a user
            raise OntologyError(f"cannot parse '{f}': {exc}") from None
    classes = _load_classes(g)
    relations = _load_relations(g, classes)
    words, patterns = _load_words(g)
    gazetteer = _load_gazetteer(g, directory)
    for entry in gazetteer.values():
        if entry.cls not in classes:
            raise OntologyError(
                f"actor '{entry.key}' has unknown class '{entry.cls}'; classes: {', '.join(sorted(classes))}"
            )
    return Ontology(
        directory=directory,
        classes=classes,
        relations=relations,
        titles=_load_titles(g),
        gazetteer=gazetteer,
        words=words,
        boilerplate=patterns,
    )

"""The resolution stage: merge mentions into entities, one per real-world actor.

Within a document, a surname joins the full name given earlier ("Soleimani" -> "Qassem Soleimani") only
when the document names one person of that surname, an acronym joins the organisation whose initials it
spells, and pronouns and descriptions count for the name they were linked to. Across documents, gazetteer
keys and full names merge; a bare surname joins a full name only when the whole corpus has one candidate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kg.iri import short_hash
from kg.ontology import Ontology
from kg.records import DocumentExtraction, Entity, Mention, Relation, named_antecedent

_STOP_INITIALS = frozenset({"of", "the", "for", "and", "on", "in", "de", "du", "la", "&"})


@dataclass
class _Acc:
    surfaces: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)
    votes: Counter[str] = field(default_factory=Counter)
    mentions: int = 0
    documents: set[str] = field(default_factory=set)

    def add(self, other: _Acc) -> None:
        self.surfaces.update(other.surfaces)
        self.names.update(other.names)
        self.votes.update(other.votes)
        self.mentions += other.mentions
        self.documents |= other.documents


@dataclass
class Grouped:
    """What a run of documents says of each entity key, summed by key, and their relations between keys in
    input order: the map side of resolution as a group-by on entity keys. Two of them merge by summing per
    key (:func:`merge`), so a cluster can group each partition where it was extracted and reduce the
    partitions in a tree; the corpus-level merges (:meth:`Resolver.result`) run once on the total."""

    parts: dict[str, _Acc] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def add(self, ex: DocumentExtraction) -> None:
        """Group one more document's contributions in."""
        parts, relations = contributions(ex)
        self.take(Grouped(parts, relations))

    def take(self, other: Grouped) -> None:
        """Sum ``other`` in, after what is here."""
        for key, part in other.parts.items():
            self.parts.setdefault(key, _Acc()).add(part)
        self.relations.extend(other.relations)


def grouped(extractions: Iterable[DocumentExtraction]) -> Grouped:
    """The contributions of ``extractions`` grouped by entity key."""
    out = Grouped()
    for ex in extractions:
        out.add(ex)
    return out


def merge(first: Grouped, then: Grouped) -> Grouped:
    """Two groupings as one, ``then`` after ``first`` (the relations keep their input order)."""
    out = Grouped()
    out.take(first)
    out.take(then)
    return out


@dataclass
class Resolver:
    """Accumulates document extractions one at a time, then yields entities and relations.

    Only mentions' strings and counts are kept, never spaCy objects, so a corpus of any size resolves in
    memory proportional to its number of distinct actors and relations.
    """

    ontology: Ontology
    _grouped: Grouped = field(default_factory=Grouped)

    def add(self, ex: DocumentExtraction) -> None:
        """Resolve one document's mentions and keep its relations."""
        self._grouped.add(ex)

    def absorb(self, group: Grouped) -> None:
        """Take in documents already grouped by key (elsewhere: on the workers of a cluster)."""
        self._grouped.take(group)

    def result(self) -> tuple[list[Entity], list[Relation]]:
        """The entities (sorted by key) and relations (in input order), after corpus-level merges."""
        acc = self._grouped.parts
        redirect = self.surname_redirects()
        for src, dst in redirect.items():
            acc[dst].add(acc.pop(src))
        entities = [self._entity(k, a) for k, a in sorted(acc.items())]
        relations = []
        for r in self._grouped.relations:
            s, o = redirect.get(r.subject, r.subject), redirect.get(r.object, r.object)
            if s != o:
                relations.append(Relation(s, r.predicate, o, r.provenance))
        return entities, relations

    def surname_redirects(self) -> dict[str, str]:
        """The corpus-level merges: a bare surname's key -> the key of the one full name it can be."""
        full: dict[str, list[str]] = {}
        for key, acc in self._grouped.parts.items():
            last = surname_of(key)
            if last is not None and " " in key and class_of(acc.votes, self.ontology) == "Person":
                full.setdefault(last, []).append(key)
        redirect = {}
        for key, acc in self._grouped.parts.items():
            if surname_of(key) is not None and " " not in key and class_of(acc.votes, self.ontology) == "Person":
                cands = full.get(key[len("name/") :], [])
                if len(cands) == 1:
                    redirect[key] = cands[0]
        return redirect

    def _entity(self, key: str, acc: _Acc) -> Entity:
        return entity_of(key, acc, self.ontology, sorted(acc.documents))


def surname_of(key: str) -> str | None:
    """The word a corpus-level merge looks at: a name key's last word (None for other keys)."""
    words = key[len("name/") :].split() if key.startswith("name/") else []
    return words[-1] if words else None


def class_of(votes: Counter[str], ontology: Ontology) -> str:
    """The class most mentions voted for (ties: the ontology's priority); ``Actor`` with no vote."""
    classes = ontology.classes
    if not votes:
        return "Actor"
    return max(votes, key=lambda c: (votes[c], classes[c].priority if c in classes else 0))


def gazetteer_label(key: str, ontology: Ontology) -> tuple[str, str] | None:
    """(label, class) of a gazetteer key."""
    known: dict[str, tuple[str, str]] | None = getattr(ontology, "_gazetteer_labels", None)
    if known is None:
        known = {}
        for entry in ontology.gazetteer.values():
            known.setdefault(entry.key, (entry.label, entry.cls))
        object.__setattr__(ontology, "_gazetteer_labels", known)
    return known.get(key)


def entity_of(key: str, acc: _Acc, ontology: Ontology, documents: Sequence[str]) -> Entity:
    """The entity of ``key`` from everything said of it (``acc``), mentioned in ``documents``."""
    gaz = gazetteer_label(key, ontology)
    cls = gaz[1] if gaz else class_of(acc.votes, ontology)
    if gaz:
        label = gaz[0]
    elif acc.names:
        label = max(acc.names, key=lambda n: (len(n.split()), acc.names[n], len(n), n))
    else:
        label = key.split("/", 1)[-1]
    return Entity(
        key=key,
        label=label,
        cls=cls,
        aliases=tuple(sorted(set(acc.surfaces) | {label})),
        mentions=acc.mentions,
        documents=tuple(documents),
    )


def contributions(ex: DocumentExtraction) -> tuple[dict[str, _Acc], list[Relation]]:
    """What one document says of each entity key (surface forms, names, class votes, mentions), and its
    relations between keys. Resolution of a corpus is the sum of these, then the corpus-level merges."""
    keys = _document_keys(ex.mentions, ex.article.id)
    parts: dict[str, _Acc] = {}
    for m in ex.mentions:
        key = keys[m.index]
        if key is None:
            continue
        acc = parts.setdefault(key, _Acc())
        acc.mentions += 1
        acc.documents.add(m.doc_id)
        if m.kind in ("name", "collective"):
            acc.surfaces[m.text.strip()] += 1
            acc.names[m.name] += 1
            acc.votes[m.cls] += 1
    relations = []
    for r in ex.relations:
        s, o = keys[r.subject], keys[r.object]
        if s is not None and o is not None and s != o:
            relations.append(Relation(s, r.predicate, o, r.provenance))
    return parts, relations


def resolve(extractions: Iterable[DocumentExtraction], ontology: Ontology) -> tuple[list[Entity], list[Relation]]:
    """Resolve a whole corpus at once (see :class:`Resolver` to stream)."""
    r = Resolver(ontology)
    for ex in extractions:
        r.add(ex)
    return r.result()


def _initials(name: str) -> str:
    return "".join(
        w[0] for w in name.replace("-", " ").split() if w.lower() not in _STOP_INITIALS and w[0].isalpha()
    ).upper()


def _document_keys(mentions: tuple[Mention, ...], doc_id: str) -> list[str | None]:
    """Identity key of each mention of one document (None for a pronoun nobody could be found for)."""
    keys: list[str | None] = [None] * len(mentions)
    scope = short_hash(doc_id, length=10)
    names = [m for m in mentions if m.kind == "name"]
    full_persons = [m for m in names if m.cls == "Person" and m.key is None and len(m.name.split()) > 1]
    orgs = [m for m in names if m.key is None and len(m.name.split()) > 1 and m.cls in ("Organization", "ArmedGroup")]
    for m in mentions:
        if m.kind == "collective":
            # "the junta" is the one of this story; "Sudan's army" is the same actor in every story.
            tied = m.key is not None and not m.key.startswith("local/")
            keys[m.index] = m.key if tied else f"{m.key or 'local/' + m.name}-{scope}"
        elif m.kind == "name":
            keys[m.index] = m.key or _name_key(m, full_persons, orgs)
    for m in mentions:
        if m.kind in ("pronoun", "description"):
            named = named_antecedent(mentions, m.index)
            keys[m.index] = keys[named.index] if named is not None else None
    return keys


def _name_key(m: Mention, full_persons: list[Mention], orgs: list[Mention]) -> str:
    words = m.name.split()
    if len(words) == 1 and m.cls == "Person":
        same = [p for p in full_persons if p.name.split()[-1] == m.name]
        distinct = {p.name.casefold() for p in same}
        if len(distinct) == 1:
            return "name/" + distinct.pop()
        before = [p for p in same if p.start < m.start]
        if before:
            # Two people share the surname: the document means the one it named last.
            return "name/" + before[-1].name.casefold()
    if len(words) == 1 and m.name.isupper() and 2 <= len(m.name) <= 6:
        spelled = {o.name.casefold() for o in orgs if _initials(o.name) == m.name}
        if len(spelled) == 1:
            return "name/" + spelled.pop()
    return "name/" + " ".join(words).casefold()

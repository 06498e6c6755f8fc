"""The resolution stage: merge mentions into entities, one per real-world actor.

Within a document, a surname joins the full name given earlier ("Soleimani" -> "Qassem Soleimani") only
when the document names one person of that surname, an acronym joins the organisation whose initials it
spells, and pronouns and descriptions count for the name they were linked to. Across documents, gazetteer
keys and full names merge; a bare surname joins a full name only when the whole corpus has one candidate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
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


@dataclass
class Resolver:
    """Accumulates document extractions one at a time, then yields entities and relations.

    Only mentions' strings and counts are kept, never spaCy objects, so a corpus of any size resolves in
    memory proportional to its number of distinct actors and relations.
    """

    ontology: Ontology
    _acc: dict[str, _Acc] = field(default_factory=dict)
    _relations: list[Relation] = field(default_factory=list)
    _known: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, ex: DocumentExtraction) -> None:
        """Resolve one document's mentions and keep its relations."""
        keys = _document_keys(ex.mentions, ex.article.id)
        for m in ex.mentions:
            key = keys[m.index]
            if key is None:
                continue
            acc = self._acc.setdefault(key, _Acc())
            acc.mentions += 1
            acc.documents.add(m.doc_id)
            if m.kind in ("name", "collective"):
                acc.surfaces[m.text.strip()] += 1
                acc.names[m.name] += 1
                acc.votes[m.cls] += 1
        for r in ex.relations:
            s, o = keys[r.subject], keys[r.object]
            if s is not None and o is not None and s != o:
                self._relations.append(Relation(s, r.predicate, o, r.provenance))

    def result(self) -> tuple[list[Entity], list[Relation]]:
        """The entities (sorted by key) and relations (in input order), after corpus-level merges."""
        redirect = self._surname_redirects()
        for src, dst in redirect.items():
            acc, target = self._acc.pop(src), self._acc[dst]
            target.surfaces.update(acc.surfaces)
            target.names.update(acc.names)
            target.votes.update(acc.votes)
            target.mentions += acc.mentions
            target.documents |= acc.documents
        entities = [self._entity(k, a) for k, a in sorted(self._acc.items())]
        relations = []
        for r in self._relations:
            s, o = redirect.get(r.subject, r.subject), redirect.get(r.object, r.object)
            if s != o:
                relations.append(Relation(s, r.predicate, o, r.provenance))
        return entities, relations

    def _surname_redirects(self) -> dict[str, str]:
        full: dict[str, list[str]] = {}
        for key, acc in self._acc.items():
            if key.startswith("name/") and self._cls(acc) == "Person" and len(key.split()) > 1:
                full.setdefault(key.split()[-1], []).append(key)
        redirect = {}
        for key, acc in self._acc.items():
            if key.startswith("name/") and " " not in key and self._cls(acc) == "Person":
                cands = full.get(key[len("name/") :], [])
                if len(cands) == 1:
                    redirect[key] = cands[0]
        return redirect

    def _cls(self, acc: _Acc) -> str:
        classes = self.ontology.classes
        if not acc.votes:
            return "Actor"
        return max(acc.votes, key=lambda c: (acc.votes[c], classes[c].priority if c in classes else 0))

    def _entity(self, key: str, acc: _Acc) -> Entity:
        gaz = self._gazetteer_label(key)
        cls = gaz[1] if gaz else self._cls(acc)
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
            documents=tuple(sorted(acc.documents)),
        )

    def _gazetteer_label(self, key: str) -> tuple[str, str] | None:
        if not self._known:
            for entry in self.ontology.gazetteer.values():
                self._known.setdefault(entry.key, (entry.label, entry.cls))
        return self._known.get(key)


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

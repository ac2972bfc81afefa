"""Namespaces and the terms the mapping writes.

schema.org is the http form (`http://schema.org/`), as the data contract and
Wikidata use; rdflib's SDO is the https form and must not be used for data.
Every `cg:` term here is declared in ontology/claimgraph.ttl with the
standard term it specialises.
"""
from __future__ import annotations

from .config import CG, ONTOLOGY_IRI

SCHEMA = "http://schema.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
ITSRDF = "http://www.w3.org/2005/11/its/rdf#"
WD = "http://www.wikidata.org/entity/"

PREFIXES = {
    "schema": SCHEMA, "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "prov": PROV,
    "org": ORG, "foaf": FOAF, "dcterms": DCTERMS, "skos": SKOS, "nif": NIF,
    "itsrdf": ITSRDF, "wd": WD, "cg": CG,
}

ONTOLOGY_GRAPH = ONTOLOGY_IRI

# ---- classes the mapping asserts (superclasses are materialised from the ontology)
ARTICLE = SCHEMA + "Article"
ANALYSIS_ARTICLE = SCHEMA + "AnalysisNewsArticle"
OPINION_ARTICLE = SCHEMA + "OpinionNewsArticle"
PERSON = SCHEMA + "Person"
ORGANIZATION = SCHEMA + "Organization"
COUNTRY = SCHEMA + "Country"
PLACE = SCHEMA + "Place"
EVENT = SCHEMA + "Event"
CLAIM = SCHEMA + "Claim"
COMMENT = SCHEMA + "Comment"
CREATIVE_WORK = SCHEMA + "CreativeWork"
THESIS = SCHEMA + "Thesis"
DIGITAL_DOCUMENT = SCHEMA + "DigitalDocument"
CREDENTIAL = SCHEMA + "EducationalOccupationalCredential"
MEMBERSHIP = ORG + "Membership"
POST = ORG + "Post"
ROLE = ORG + "Role"
PROV_ENTITY = PROV + "Entity"
PROV_ACTIVITY = PROV + "Activity"
SOFTWARE_AGENT = PROV + "SoftwareAgent"
NIF_CONTEXT = NIF + "Context"
NIF_PHRASE = NIF + "Phrase"

THINK_TANK = CG + "ThinkTank"
UNIVERSITY = SCHEMA + "CollegeOrUniversity"
NEWS_OUTLET = SCHEMA + "NewsMediaOrganization"
GOVERNMENT_BODY = SCHEMA + "GovernmentOrganization"
INTERNATIONAL_ORGANIZATION = CG + "InternationalOrganization"
POLITICAL_GROUP = CG + "PoliticalGroup"
OPINION_GROUP = CG + "OpinionGroup"
HISTORICAL_STATE = CG + "HistoricalState"
REGION = CG + "Region"
CITY = SCHEMA + "City"
ETL_RUN = CG + "EtlRun"
EDUCATION = CG + "EducationRecord"
MENTION = CG + "Mention"
MODALITY = CG + "Modality"

# ---- cg: properties
ACCESS_DATE = CG + "accessDate"
MODALITY_PROP = CG + "modality"
TEXT_SPAN = CG + "textSpan"
ATTRIBUTED = CG + "attributed"
CONTENT_HASH = CG + "contentHash"
FLOW_RUN_ID = CG + "flowRunId"
FIELD_OF_STUDY = CG + "fieldOfStudy"
THESIS_PROP = CG + "thesis"
DEGREE = CG + "degree"
GROUP_COUNTRY = CG + "country"
MENTION_KIND = CG + "mentionKind"
DOCUMENTS_LOADED = CG + "documentsLoaded"
DOCUMENTS_FAILED = CG + "documentsFailed"
DOCUMENTS_NEW = CG + "documentsNew"
DOCUMENTS_CHANGED = CG + "documentsChanged"
DOCUMENTS_UNCHANGED = CG + "documentsUnchanged"
TRIPLES_ADDED = CG + "triplesAdded"
TRIPLES_REMOVED = CG + "triplesRemoved"

MODALITIES = {m: CG + m.capitalize() for m in ("asserted", "hedged", "predicted", "normative", "conditional")}

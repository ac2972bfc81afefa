-- ClaimGraph on Virtuoso: run once, as dba, on a new database:
--     isql-vt HOST:1111 dba PASSWORD scripts/virtuoso-init.sql
-- Virtuoso's own graphs (its quad-map metadata, its LDP and SPARQL service graphs) are
-- made private, so that the default graph of a query (which on Virtuoso is the union of
-- every graph a user may read) is the union of ClaimGraph's graphs alone: queries that
-- count triples or list graphs then see ClaimGraph's data only. SPARQL keeps working: the
-- server reads its metadata itself, not through a user's query. The API refuses to start
-- on a Virtuoso that still shows them (stores/remote.py, `check_dataset`).
-- Every statement may run again (a group that exists is left as it is).
DB.DBA.RDF_GRAPH_GROUP_CREATE ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 1);
DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 'http://www.openlinksw.com/schemas/virtrdf#');
DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 'http://www.w3.org/ns/ldp#');
DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 'http://localuriqaserver/sparql');
-- nobody (the anonymous /sparql user) may not read private graphs, and may read public ones
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1);

DROP TABLE transparency_publications;

DROP TABLE cluster_profile;

DROP TABLE certificates;
DROP TABLE dissents;

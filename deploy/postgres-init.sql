-- One database per service; no service reads another's tables.
CREATE DATABASE kaoping_survey;
CREATE DATABASE kaoping_scoring;
CREATE DATABASE kaoping_inspection;
CREATE DATABASE kaoping_portal;

DROP TABLE login_throttle;
DROP TABLE revoked_access_tokens;
DROP TABLE refresh_tokens;
DROP TABLE api_clients;
DROP TABLE users;

DROP VIEW member_cards;

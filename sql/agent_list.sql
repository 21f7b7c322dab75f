-- agent_list.sql: the whole agent registry; workers cache it and reload on NOTIFY taskfleet_agents.
SELECT name, url, enabled
FROM agents
ORDER BY name;

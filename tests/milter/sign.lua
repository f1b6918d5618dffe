-- sign.lua - one signing scenario for miltertest(8), a second milter client
-- independent of mclient. Variables (miltertest -D): SOCK (unix socket
-- path), DOMAIN (From domain), WANT (signatures expected: 0, 1, 2), OUT
-- (where to write the message as the MTA would queue it), optional ADDR,
-- HOST, DAEMON ({daemon_name}), AUTH (SASL user), QID, NOLEAD (do not offer
-- SMFIP_HDR_LEADSPC).

-- miltertest does not print a script's error message: echo it first.
local function need(cond, msg)
	if not cond then
		mt.echo("sign.lua: FAIL: " .. msg)
		error(msg)
	end
end

local want = tonumber(WANT or "1")
local conn = mt.connect("unix:" .. SOCK, 40, 0.05)
need(conn ~= nil, "cannot connect to " .. SOCK)
local neg
if NOLEAD then
	-- Offer SMFI_CURR_PROT without SMFIP_HDR_LEADSPC (0xFFFFF).
	-- Debian's miltertest (OpenDKIM 1.6.0) sends its third argument as
	-- the protocol mask and its fourth as the actions, the other way
	-- round from its manual (checked against a socket that prints the
	-- OPTNEG it receives).
	neg = mt.negotiate(conn, 6, 1048575, 511)
else
	neg = mt.negotiate(conn, nil, nil, nil)
end
need(neg == nil, "option negotiation failed")
local lead = mt.test_option(conn, SMFIP_HDR_LEADSPC)
need(not (NOLEAD and lead), "SMFIP_HDR_LEADSPC negotiated although not offered")

if DAEMON then
	mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", DAEMON)
end
need(mt.conninfo(conn, HOST or "localhost", ADDR or "127.0.0.1") == nil, "conninfo failed")
if AUTH then
	mt.macro(conn, SMFIC_MAIL, "i", QID or "MT0001", "{auth_type}", "PLAIN", "{auth_authen}", AUTH)
else
	mt.macro(conn, SMFIC_MAIL, "i", QID or "MT0001")
end
need(mt.mailfrom(conn, "<alice@" .. DOMAIN .. ">") == nil, "mailfrom failed")
-- miltertest gives up on a step the milter asked to skip: honour NORCPT.
if not mt.test_option(conn, SMFIP_NORCPT) then
	need(mt.rcptto(conn, "<bob@example.net>") == nil, "rcptto failed")
end

local hdrs = {
	{ "From", "Alice <alice@" .. DOMAIN .. ">" },
	{ "To", "Bob <bob@example.net>" },
	{ "Subject", "miltertest  run\n\tfolded" },
	{ "Date", "Mon, 23 Nov 2026 19:00:00 +0000" },
}
for _, h in ipairs(hdrs) do
	-- miltertest itself puts the space after the colon in front of the
	-- value when SMFIP_HDR_LEADSPC is negotiated (as Postfix would pass it).
	need(mt.header(conn, h[1], h[2]) == nil, "header failed")
end
need(mt.eoh(conn) == nil, "eoh failed")

if want == 0 then
	-- Not ours: postdkim lets the message go at the end of the header.
	need(mt.getreply(conn) == SMFIR_ACCEPT,
	    "want SMFIR_ACCEPT after EOH, got " .. tostring(mt.getreply(conn)))
	mt.disconnect(conn)
	return
end

local body = "Hello from miltertest.\r\n\r\nSecond paragraph  \r\n\r\n"
need(mt.bodystring(conn, body) == nil, "body failed")
need(mt.eom(conn) == nil, "eom failed")
local r = mt.getreply(conn)
need(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "end of message reply " .. tostring(r))
need(mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature"), "no DKIM-Signature inserted")

-- The message as the MTA queues it: inserted fields on top, "\n" -> CRLF.
local f = assert(io.open(OUT, "wb"))
for i = 0, want - 1 do
	local v = mt.getheader(conn, "DKIM-Signature", i)
	need(v ~= nil, "signature " .. i .. " missing")
	need(string.find(v, "d=" .. DOMAIN .. ";", 1, true) ~= nil, "wrong d= in " .. v)
	need(string.find(v, "\r", 1, true) == nil, "CR inside an inserted header")
	f:write("DKIM-Signature:" .. (lead and "" or " ") .. (string.gsub(v, "\n", "\r\n")) .. "\r\n")
end
need(mt.getheader(conn, "DKIM-Signature", want) == nil, "more than " .. want .. " signatures")
for _, h in ipairs(hdrs) do
	f:write(h[1] .. ": " .. (string.gsub(h[2], "\n", "\r\n")) .. "\r\n")
end
f:write("\r\n" .. body)
f:close()
mt.disconnect(conn)

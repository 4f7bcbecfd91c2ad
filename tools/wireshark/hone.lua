-- SPDX-License-Identifier: GPL-2.0
-- Copyright (C) 2026 The Hone authors.
--
-- Hone post-dissector for Wireshark and tshark (4.0 and later, Lua 5.2 to
-- 5.4): turns what a Hone capture says about each packet into fields.
--
--   hone.pid      every process the packet is attributed to: its sender(s),
--                 the processes that read its data, or the socket's holders
--   hone.tid      the threads of senders and readers
--   hone.sock     the socket id (cookie)
--   hone.role     sender, reader, holder or none
--   hone.exe      executable of each process listed
--   hone.readers  "pid/tid,..." of the readers (reader packets)
--   hone.holders  "pid,..." of the holders (holder packets)
--   hone.source   where the answer came from: annotation, file, comment
--
--   tshark -X lua_script:hone.lua -r capture.pcapng -Y 'hone.pid == 1234'
--
-- Where the answer comes from, per packet, in this order:
--  1. annotation: a comment "hone: ..." written by `hone read FILE
--     --annotate OUT` (everything resolved already, nothing else is read);
--  2. file: Wireshark gives a Lua post-dissector neither the EPB options
--     Hone adds (holders 264, sender runs 263, packet id 261) nor its own
--     blocks (read blocks 0x103 name the readers of inbound data, later in
--     the file), so the plugin reads the capture file itself once: the
--     file named by the preference hone.capture_file (-o
--     hone.capture_file:PATH), else $HONE_CAPTURE, else the -r argument of
--     this process, else the capture file this process has open (Linux
--     /proc). It is used only if its packets match the frames (count,
--     lengths, times);
--  3. comment: the sensor's own comment "pid P tid T sock 0x... by HOW",
--     which names senders, and holders since the sensor lists them
--     (" holders A,B" after "by holder"; readers stay unknown, an expert
--     note says so). A holder packet whose comment lists its holders takes
--     them from there even when the file is read (the same list as option
--     264; the file adds their exe paths), so holders need no file.
-- Limits: a compressed (.gz) or piped capture cannot be read by the plugin
-- (use `hone read --annotate`); data read after a rotation is read in the
-- next file, so its readers are not in this one.

local hone = Proto("hone", "Hone process attribution")

local pf = {
	role = ProtoField.string("hone.role", "Role"),
	sock = ProtoField.uint64("hone.sock", "Socket id", base.HEX),
	pid = ProtoField.uint32("hone.pid", "Process id"),
	tid = ProtoField.uint32("hone.tid", "Thread id"),
	exe = ProtoField.string("hone.exe", "Executable"),
	readers = ProtoField.string("hone.readers", "Readers"),
	holders = ProtoField.string("hone.holders", "Holders"),
	source = ProtoField.string("hone.source", "Source"),
}
hone.fields = { pf.role, pf.sock, pf.pid, pf.tid, pf.exe, pf.readers, pf.holders, pf.source }

local ef_unresolved = ProtoExpert.new("hone.unresolved", "Readers and holders unknown",
	expert.group.COMMENTS_GROUP, expert.severity.NOTE)
hone.experts = { ef_unresolved }

hone.prefs.capture_file = Pref.string("Capture file", "",
	"The capture file to read Hone's blocks from (empty: find it)")
hone.prefs.file_pass = Pref.bool("Read the capture file", true,
	"Read the capture file for readers (read blocks) and holders (EPB option 264)")

local f_comment = Field.new("frame.comment")

-- --- reading the capture file ---

local BLOCK_SHB, BLOCK_EPB = 0x0A0D0D0A, 6
local BLOCK_PROCESS, BLOCK_USE = 0x101, 0x103
local ROLES = { [0] = "none", [1] = "creator", [2] = "sender", [3] = "reader", [4] = "holder" }

local function u16(s, at, be)
	local a, b = s:byte(at, at + 1)
	if be then return a * 256 + b end
	return b * 256 + a
end

local function u32(s, at, be)
	local a, b, c, d = s:byte(at, at + 3)
	if be then return ((a * 256 + b) * 256 + c) * 256 + d end
	return ((d * 256 + c) * 256 + b) * 256 + a
end

local function u64(s, at, be)
	local hi, lo
	if be then hi, lo = u32(s, at, be), u32(s, at + 4, be)
	else lo, hi = u32(s, at, be), u32(s, at + 4, be) end
	return hi * 4294967296 + lo
end

local function hex64(s, at, be)
	local hi, lo
	if be then hi, lo = u32(s, at, be), u32(s, at + 4, be)
	else lo, hi = u32(s, at, be), u32(s, at + 4, be) end
	return string.format("%08x%08x", hi, lo)
end

-- options of a block body (a Lua string) from 1-based position at: {code = value}
local function options(s, at, be)
	local o = {}
	while at + 3 <= #s do
		local code, len = u16(s, at, be), u16(s, at + 2, be)
		if code == 0 then break end
		o[code] = s:sub(at + 4, at + 3 + len)
		at = at + 4 + len + (4 - len % 4) % 4
	end
	return o
end

-- TCP: sequence number of the first payload byte (after a SYN) and the
-- payload length from the IP and TCP headers (a snaplen may cut the data)
local function tcp_range(d)
	local v = math.floor((d:byte(1) or 0) / 16)
	local proto, ip_len, hl
	if v == 4 and #d >= 20 then
		hl = (d:byte(1) % 16) * 4
		ip_len = u16(d, 3, true)
		proto = d:byte(10)
	elseif v == 6 and #d >= 40 then
		hl = 40
		ip_len = 40 + u16(d, 5, true)
		proto = d:byte(7)
		-- extension headers: hop-by-hop 0, routing 43, fragment 44, destination 60
		while (proto == 0 or proto == 43 or proto == 44 or proto == 60) and #d >= hl + 8 do
			local nxt = d:byte(hl + 1)
			hl = hl + (proto == 44 and 8 or (d:byte(hl + 2) + 1) * 8)
			proto = nxt
		end
	else
		return nil
	end
	if proto ~= 6 or #d < hl + 14 then return nil end
	local seq = u32(d, hl + 5, true)
	local off = math.floor(d:byte(hl + 13) / 16) * 4
	local syn = math.floor(d:byte(hl + 14) / 2) % 2
	local len = ip_len - hl - off
	if len < 0 then len = 0 end
	return (seq + syn) % 4294967296, len
end

-- does [first, first + len) modulo 2^32 contain x?
local function covers(first, len, x)
	return (x - first) % 4294967296 < len
end

local function list_pids(o, be)
	local t = {}
	if o then
		for at = 1, #o - 3, 4 do t[#t + 1] = u32(o, at, be) end
	end
	return t
end

-- exe paths by pid as the capture goes: exe_at(pid, index)
local function exe_timeline()
	local by_pid = {}
	local tl = {}
	function tl.set(pid, index, exe)
		local l = by_pid[pid]
		if not l then l = {}; by_pid[pid] = l end
		l[#l + 1] = { index, exe }
	end
	function tl.last(pid)
		local l = by_pid[pid]
		return l and l[#l][2]
	end
	function tl.at(pid, index)
		local l, exe = by_pid[pid], nil
		if not l then return nil end
		for _, e in ipairs(l) do
			if e[1] > index then break end
			exe = e[2]
		end
		return exe
	end
	return tl
end

-- The whole file: frames (EPBs in order) with what Hone says about each,
-- readers resolved from the read blocks after them.
local function read_capture(path)
	local f = io.open(path, "rb")
	if not f then return nil, "cannot open " .. path end
	local frames, reads = {}, {}
	local exes = exe_timeline()
	local be, index = false, 0
	while true do
		local head = f:read(8)
		if not head or #head < 8 then break end
		if index == 0 and head:sub(1, 4) ~= "\10\13\13\10" then
			f:close()
			return nil, path .. " is not a PCAP-NG file"
		end
		index = index + 1
		local le_type = u32(head, 1, false)
		if le_type == BLOCK_SHB then
			local magic = f:read(4)
			if not magic or #magic < 4 then break end
			be = magic == "\26\43\60\77"
			f:seek("cur", u32(head, 5, be) - 12)
		else
			local btype, blen = u32(head, 1, be), u32(head, 5, be)
			if blen < 12 then f:close(); return nil, "damaged block in " .. path end
			local wanted = btype == BLOCK_EPB or btype == BLOCK_PROCESS or btype == BLOCK_USE
			if wanted then
				local body = f:read(blen - 8)
				if not body or #body < blen - 8 then break end
				if btype == BLOCK_EPB then
					local caplen = u32(body, 13, be)
					local o = options(body, 21 + caplen + (4 - caplen % 4) % 4, be)
					local fr = {
						index = index,
						ts_hi = u32(body, 5, be), ts_lo = u32(body, 9, be),
						len = u32(body, 17, be),
						data = body:sub(21, 20 + math.min(caplen, 160)),
					}
					if o[257] then fr.sock = hex64(o[257], 1, be) end
					if o[259] then fr.role = ROLES[u32(o[259], 1, be)] or "unknown" end
					if o[2] then fr.inbound = u32(o[2], 1, be) % 4 == 1 end
					if o[8] then fr.pid, fr.tid = u32(o[8], 1, be), u32(o[8], 5, be)
					elseif o[258] then fr.pid = u32(o[258], 1, be) end
					if o[261] then fr.packet_id = u64(o[261], 1, be) end
					if o[264] then fr.holders = list_pids(o[264], be) end
					if o[263] then
						fr.runs = {}
						for at = 1, #o[263] - 11, 12 do
							fr.runs[#fr.runs + 1] = { offset = u32(o[263], at, be),
								pid = u32(o[263], at + 4, be), tid = u32(o[263], at + 8, be) }
						end
					end
					frames[#frames + 1] = fr
				elseif btype == BLOCK_PROCESS then
					local pid = u32(body, 1, be)
					local o = options(body, 13, be)
					local event = o[2] and u32(o[2], 1, be) or 0
					if o[3] then exes.set(pid, index, o[3])
					elseif event == 1 and o[5] then
						local parent = exes.last(u32(o[5], 1, be))
						if parent then exes.set(pid, index, parent) end
					end
				else
					local o = options(body, 17, be)
					if o[2] and u32(o[2], 1, be) == 1 and o[257] then
						local r = { index = index, pid = u32(body, 5, be),
							tid = o[258] and u32(o[258], 1, be) }
						if o[261] then
							r.first = u32(o[261], 1, be)
							r.len = (u32(o[261], 5, be) - r.first) % 4294967296
						end
						if o[262] then r.packet_id = u64(o[262], 1, be) end
						local sock = hex64(o[257], 1, be)
						reads[sock] = reads[sock] or {}
						table.insert(reads[sock], r)
					end
				end
			else
				f:seek("cur", blen - 8)
			end
		end
	end
	f:close()
	for _, fr in ipairs(frames) do
		if fr.role == "reader" and fr.inbound and fr.sock then
			fr.readers = {}
			local first, len = tcp_range(fr.data)
			for _, r in ipairs(reads[fr.sock] or {}) do
				if r.index > fr.index then
					local hit
					if first then
						hit = len > 0 and r.first and (covers(r.first, r.len, first) or covers(first, len, r.first))
					else
						hit = fr.packet_id and r.packet_id == fr.packet_id
					end
					if hit then fr.readers[#fr.readers + 1] = { pid = r.pid, tid = r.tid, exe = exes.at(r.pid, r.index) } end
				end
			end
		end
		if fr.pid then fr.exe = exes.at(fr.pid, fr.index) end
		if fr.runs then
			for _, run in ipairs(fr.runs) do run.exe = exes.at(run.pid, fr.index) end
		end
		if fr.holders then
			fr.holder_exes = {}
			for i, h in ipairs(fr.holders) do fr.holder_exes[i] = exes.at(h, fr.index) end
		end
		fr.data = nil
	end
	return frames
end

-- --- finding the capture file ---

local function cmdline_file()
	local f = io.open("/proc/self/cmdline", "rb")
	if not f then return nil end
	local args = {}
	for a in f:read("*a"):gmatch("([^%z]*)%z") do args[#args + 1] = a end
	f:close()
	for i, a in ipairs(args) do
		if (a == "-r" or a == "--read-file") and args[i + 1] then return args[i + 1] end
		if a:sub(1, 12) == "--read-file=" then return a:sub(13) end
		if a:sub(1, 2) == "-r" and a:sub(1, 3) ~= "-r-" and #a > 2 and a:sub(2, 2) ~= "-" then return a:sub(3) end
	end
	return nil
end

-- regular files this process has open that start like a PCAP-NG file
local function open_files()
	local stat = io.open("/proc/self/stat")
	if not stat then return {} end
	local pid = stat:read("*l"):match("^(%d+)")
	stat:close()
	local out = {}
	local ls = io.popen("ls -l /proc/" .. pid .. "/fd 2>/dev/null")
	if not ls then return out end
	for line in ls:lines() do
		local path = line:match(" %-> (/.*)$")
		if path then
			local f = io.open(path, "rb")
			if f then
				if f:read(4) == "\10\13\13\10" then out[#out + 1] = path end
				f:close()
			end
		end
	end
	ls:close()
	return out
end

local function candidates()
	local c = {}
	if hone.prefs.capture_file ~= "" then c[#c + 1] = hone.prefs.capture_file end
	local env = os.getenv("HONE_CAPTURE")
	if env and env ~= "" then c[#c + 1] = env end
	local r = cmdline_file()
	if r and r ~= "-" then c[#c + 1] = r end
	for _, p in ipairs(open_files()) do c[#c + 1] = p end
	return c
end

local state = { tried = false, frames = nil, why = nil }

function hone.init()
	state = { tried = false, frames = nil, why = nil }
end

-- the file's frame for this packet, if the file is the one being dissected
local function matches(fr, tvb, pinfo)
	if not fr or fr.len ~= tvb:reported_len() then return false end
	local us = fr.ts_hi * 4294967296 + fr.ts_lo
	return math.abs(us / 1e6 - pinfo.abs_ts) < 2e-6
end

local function file_frame(tvb, pinfo)
	if not hone.prefs.file_pass then return nil end
	if not state.tried then
		state.tried = true
		for _, path in ipairs(candidates()) do
			local frames, why = read_capture(path)
			if frames and matches(frames[pinfo.number], tvb, pinfo) then
				state.frames = frames
				break
			end
			state.why = why or (path .. " does not hold these frames")
		end
	end
	local fr = state.frames and state.frames[pinfo.number]
	if fr and matches(fr, tvb, pinfo) then return fr end
	return nil
end

-- --- the answer for one packet ---

-- { role, sock, parties = { {pid, tid, exe} }, readers, holders, source }
local function from_annotation(c)
	local body = c:match("^hone: (.*)$")
	if not body then return nil end
	local a = { source = "annotation", parties = {} }
	a.sock = body:match("; sock 0x(%x+)$")
	body = body:gsub("; sock 0x%x+$", "")
	if body:match("^senders? ") then a.role = "sender"
	elseif body:match("^read by ") then a.role = "reader"
	elseif body:match("^holders ") then a.role = "holder"
	else a.role = "none" end
	for pid, mid, exe in body:gmatch("pid (%d+)([^(]*)%(([^)]*)%)") do
		local tid = mid:match("tid (%d+)")
		a.parties[#a.parties + 1] = { pid = tonumber(pid), tid = tid and tonumber(tid),
			exe = exe ~= "?" and exe or nil }
	end
	return a
end

local function from_frame(fr)
	local a = { source = "file", role = fr.role or "none", sock = fr.sock, parties = {} }
	if fr.runs and #fr.runs > 1 then
		for _, r in ipairs(fr.runs) do a.parties[#a.parties + 1] = r end
	elseif fr.pid and a.role ~= "holder" then
		a.parties[1] = { pid = fr.pid, tid = fr.tid, exe = fr.exe }
	elseif a.role == "reader" then
		for _, r in ipairs(fr.readers or {}) do a.parties[#a.parties + 1] = r end
	elseif a.role == "holder" then
		for i, h in ipairs(fr.holders or {}) do
			a.parties[#a.parties + 1] = { pid = h, exe = fr.holder_exes[i] }
		end
	end
	return a
end

local function from_comment(c)
	local pid, tid, sock, how = c:match("^pid (%d+) tid (%d+) sock 0x(%x+) by (%a+)")
	if not pid then return nil end
	local a = { source = "comment", role = how, sock = sock, parties = {} }
	if tonumber(pid) ~= 0 then
		a.parties[1] = { pid = tonumber(pid), tid = tonumber(tid) }
	elseif how == "holder" and c:match(" holders [%d,]+") then
		for h in c:match(" holders ([%d,]+)"):gmatch("%d+") do
			a.parties[#a.parties + 1] = { pid = tonumber(h) }
		end
	else
		a.unresolved = how == "reader" or how == "holder"
	end
	return a
end

-- The holders the sensor wrote in its comment (option 264's list), with
-- their exe paths from the file when it is read.
local function holders_from_comment(c, fr)
	if fr then
		local exe = {}
		for i, h in ipairs(fr.holders or {}) do exe[h] = fr.holder_exes[i] end
		for _, p in ipairs(c.parties) do p.exe = exe[p.pid] end
	end
	return c
end

local function answer(tvb, pinfo)
	local comments = { f_comment() }
	local c
	for _, fi in ipairs(comments) do
		local a = from_annotation(tostring(fi.value))
		if a then return a end
		c = c or from_comment(tostring(fi.value))
	end
	local fr = file_frame(tvb, pinfo)
	if c and c.role == "holder" and #c.parties > 0 then return holders_from_comment(c, fr) end
	if fr then return from_frame(fr) end
	return c
end

local function party_text(p)
	local t = "pid " .. p.pid
	if p.tid then t = t .. " tid " .. p.tid end
	return t .. " (" .. (p.exe or "?") .. ")"
end

function hone.dissector(tvb, pinfo, tree)
	local a = answer(tvb, pinfo)
	if not a then return end
	local seen, texts, ids = {}, {}, {}
	for _, p in ipairs(a.parties) do
		local key = p.pid .. "/" .. tostring(p.tid)
		if not seen[key] then
			seen[key] = true
			texts[#texts + 1] = party_text(p)
			ids[#ids + 1] = a.role == "holder" and tostring(p.pid) or (p.pid .. "/" .. (p.tid or "?"))
		end
	end
	local who = #texts > 0 and table.concat(texts, ", ") or "nobody"
	local t = tree:add(hone):set_text("Hone: " .. a.role .. " " .. who)
	t:add(pf.role, a.role)
	if a.sock then t:add(pf.sock, UInt64.fromhex(a.sock)) end
	if a.role == "reader" and not a.unresolved then t:add(pf.readers, table.concat(ids, ",")) end
	if a.role == "holder" and not a.unresolved then t:add(pf.holders, table.concat(ids, ",")) end
	local done = {}
	for _, p in ipairs(a.parties) do
		local key = p.pid .. "/" .. tostring(p.tid)
		if not done[key] then
			done[key] = true
			local pt = t:add(pf.pid, p.pid):set_text("Process: " .. party_text(p))
			if p.tid then pt:add(pf.tid, p.tid) end
			if p.exe then pt:add(pf.exe, p.exe) end
		end
	end
	t:add(pf.source, a.source)
	if a.unresolved then
		t:add_proto_expert_info(ef_unresolved,
			"The sensor's comment does not name readers or holders: open the capture file itself "
			.. "(-o hone.capture_file:PATH) or annotate it (hone read FILE --annotate OUT)")
	end
end

register_postdissector(hone)

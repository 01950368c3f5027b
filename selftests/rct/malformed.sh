#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Malformed packets, built with scapy (malformed.py) and injected at layer 2
# on A's veth, so B sees exactly those bytes: truncated IPv4/IPv6/TCP/UDP/
# ICMP headers, bad IHL, total length and data offset, TCP flag
# combinations, IPv6 extension-header chains that are long, endless or run
# past the packet, payload length 0, ICMP errors with broken, missing or
# misdirected quoted packets, fragments. For each case the test asserts, in
# B, how many packets reached the PRE_ROUTING hook, the IP layer's own drop
# counters (a broken IP header never reaches any hook), the changes of rct's
# invalid and icmp_error counters and the entries created. First with rct
# alone (fragments reach rct: no defragmentation), then beside nf_conntrack
# (whose defragmentation runs first), where nf's counters and entries must
# be the same unless the difference is documented (README, Limits).
source "$(dirname "$0")/lib.sh"
need nft python3
python3 -c 'import scapy' 2>/dev/null || skip "python3 scapy is not installed"
nf_unload_if_new
trap nf_cleanup EXIT

load_nft nft_ct
setup_pair
dmesg_mark

# Only the helper's echo requests leave A and only their answers leave B:
# no link-up chatter, and no RST, port unreachable or parameter problem
# answering a case reaches B's output hooks. (The cases themselves bypass
# A's hooks: they are sent at layer 2.)
quiet() {
	in_ns "$1" nft -f - <<NFT
table inet quiet {
	chain out {
		type filter hook output priority -300; policy drop;
		icmp type $2 accept
	}
}
NFT
}
quiet "$a" echo-request && quiet "$b" echo-reply || { fail "nft rules"; exit $ret; }

coproc TX { in_ns "$b" python3 "$RCT_SELFTEST_DIR/malformed.py" "$a" veth0 2>&1; }
while read -r -t 60 line <&"${TX[0]}"; do
	[ "$line" = ready ] && break
	log "helper: $line"
done
[ "$line" = ready ] || { fail "malformed.py did not start"; exit $ret; }

A6=2001:0db8:0000:0000:0000:0000:0000:0001
B6=2001:0db8:0000:0000:0000:0000:0000:0002

# entry_line SPEC: the line (as malformed.py writes it, without counters)
# of the entry SPEC names: udp4/SPORT/DPORT, udp6/..., tcp4/SPORT/DPORT/STATE,
# gen6/PROTO; "-": none.
entry_line() {
	local p sp dp st fam a b
	IFS=/ read -r p sp dp st <<<"$1"
	case $p in
	*4) fam="ipv4 2" a=192.0.2.1 b=192.0.2.2 ;;
	*6) fam="ipv6 10" a=$A6 b=$B6 ;;
	*) return 0 ;;
	esac
	case $p in
	udp*) echo "$fam udp 17 T src=$a dst=$b sport=$sp dport=$dp [UNREPLIED] src=$b dst=$a sport=$dp dport=$sp mark=0 zone=0" ;;
	tcp*) echo "$fam tcp 6 T $st src=$a dst=$b sport=$sp dport=$dp [UNREPLIED] src=$b dst=$a sport=$dp dport=$sp mark=0 zone=0" ;;
	gen*) echo "$fam unknown $sp T src=$a dst=$b [UNREPLIED] src=$b dst=$a mark=0 zone=0" ;;
	esac
}

shopt -s extglob
NF=0 # 1 once nf_conntrack tracks in B
ncases=0

# run_case NAME PRE IPERR INVALID ERROR ENTRY [NF_INVALID NF_ERROR NF_ENTRY]:
# sends case NAME and checks in B: PRE packets reached PRE_ROUTING, the IP
# layer dropped IPERR for their header ("-": not checked), rct's invalid
# and icmp_error grew by INVALID and ERROR, the only new entry is ENTRY
# (entry_line spec, "-": none). With nf tracking, nf's counters and new
# entries must be the same, or the NF_* values where the two differ by
# design; entries both create must be equal, counters included.
run_case() {
	local name=$1 pre=$2 iperr=$3 inv=$4 err=$5 entry=$6
	ncases=$((ncases + 1))
	local nfinv=${7:-$4} nferr=${8:-$5} nfentry=${9:-$6}
	local line head="" new_rct="" new_nf="" kv
	local -A d=()
	echo "$name" >&"${TX[1]}"
	while read -r -t 30 line <&"${TX[0]}"; do
		case $line in
		done) break ;;
		"rct "*) new_rct+=${new_rct:+ / }${line#rct } ;;
		"nf "*) new_nf+=${new_nf:+ / }${line#nf } ;;
		*) head=$line ;;
		esac
	done
	[[ $head == "sent $name "* ]] || { fail "$name: malformed.py: ${head:-no answer}"; return; }
	for kv in ${head#sent "$name" }; do
		d[${kv%%=*}]=${kv#*=}
	done
	local counters=" packets=+([0-9]) bytes=+([0-9])" want got bad=0
	want="pre=$pre invalid=$inv icmp_error=$err entry=[$(entry_line "$entry")]"
	got="pre=${d[pre]} invalid=${d[invalid]} icmp_error=${d[icmp_error]} entry=[${new_rct//$counters/}]"
	if [ "$iperr" != - ]; then
		want+=" iperr=$iperr"
		got+=" iperr=${d[iperr]}"
	fi
	[ "$got" = "$want" ] || bad=1
	local summary="invalid +$inv, icmp_error +$err, ${entry/#-/no entry}"
	[ "$pre" = 0 ] && summary="reached no conntrack hook (IP header drops +$iperr), nothing counted"
	if [ "$NF" = 1 ]; then
		local nfwant nfgot
		nfwant="invalid=$nfinv icmp_error=$nferr entry=[$(entry_line "$nfentry")]"
		nfgot="invalid=${d[nf_invalid]} icmp_error=${d[nf_icmp_error]} entry=[${new_nf//$counters/}]"
		[ "$nfgot" = "$nfwant" ] || bad=1
		if [ "$entry" != - ] && [ "$entry" = "$nfentry" ] && [ "$new_rct" != "$new_nf" ]; then
			bad=1
			got+=" rct-line=[$new_rct] nf-line=[$new_nf]"
		fi
		if [ "$nfinv $nferr $nfentry" = "$inv $err $entry" ]; then
			summary+="; nf the same"
		else
			summary+="; nf: invalid +$nfinv, icmp_error +$nferr, ${nfentry/#-/no entry} (differs by design)"
		fi
		got+=" | nf: $nfgot"
		want+=" | nf: $nfwant"
	fi
	if [ "$bad" = 0 ]; then
		pass "$name: $summary"
	else
		fail "$name"
		log "  want $want"
		log "  got  $got"
	fi
}

# run_cases: runs the cases listed on fd 3, one "NAME PRE IPERR INVALID
# ERROR ENTRY [NF_INVALID NF_ERROR NF_ENTRY]" a line ("#" lines skipped).
run_cases() {
	local args
	while read -r -u 3 -a args; do
		[ ${#args[@]} -eq 0 ] || [[ ${args[0]} == \#* ]] || run_case "${args[@]}"
	done
}

udrop0=$(stat_sum "$b" unconfirmed_drop)
log "rct alone: fragments reach rct's PRE_ROUTING hook"
run_cases 3<<'CASES'
# UDP's length field and TCP's and ICMP's checksum cover the whole
# datagram: invalid (ICMP: icmp_error).
v4_frag_first_udp      1 - 1 0 -
v4_frag_first_tcp      1 - 1 0 -
v4_frag_first_icmp     1 - 0 1 -
v4_frag_rest           1 - 1 0 -
# Tracked, but IPv4 reassembles before LOCAL_IN (and waits for the rest):
# the entry is never confirmed.
v4_frag_first_gen      1 - 0 0 -
v6_frag_first_udp      1 - 1 0 -
v6_frag_rest           1 - 1 0 -
# IPv6 reassembles after LOCAL_IN: the first fragment's entry is confirmed.
v6_frag_first_gen      1 - 0 0 gen6/253
v6_frag_no_l4          1 - 1 0 -
CASES
busywait 5000 eval '[ "$(stat_sum "$b" unconfirmed_drop)" -gt "$udrop0" ]'
udrop=$(($(stat_sum "$b" unconfirmed_drop) - udrop0))
[ "$udrop" = 1 ] && pass "v4_frag_first_gen: its unconfirmed entry was discarded (unconfirmed_drop +1)" ||
	fail "unconfirmed_drop +$udrop, want +1"

nf_track "$b" || { fail "nf_conntrack tracking setup"; exit $ret; }
NF=1
log "beside nf_conntrack"
run_cases 3<<'CASES'
# Broken IP headers: B's IP layer drops them before any netfilter hook.
v4_short               0 1 0 0 -
v4_ihl4                0 1 0 0 -
v4_ihl_past_end        0 1 0 0 -
v4_totlen_short        0 1 0 0 -
v4_totlen_long         0 1 0 0 -
v4_bad_ip_csum         0 1 0 0 -
v6_version5            0 1 0 0 -
v6_plen_long           0 1 0 0 -
v6_hbh_past_end        0 1 0 0 -
v6_jumbo_small         0 1 0 0 -
v4_options             1 - 0 0 udp4/7016/7017
tcp_doff4              1 - 1 0 -
tcp_doff_past_end      1 - 1 0 -
tcp_trunc12            1 - 1 0 -
tcp_trunc2             1 - 1 0 -
tcp_all_flags          1 - 1 0 -
tcp_no_flags           1 - 1 0 -
tcp_syn_fin            1 - 1 0 -
tcp_syn_options        1 - 0 0 tcp4/7124/7125/SYN_SENT
tcp_syn_ecn_psh        1 - 0 0 tcp4/7126/7127/SYN_SENT
udp_trunc4             1 - 1 0 -
udp_len_long           1 - 1 0 -
udp_len_short          1 - 1 0 -
udp_len_inside         1 - 0 0 udp4/7018/7019
udp_empty              1 - 0 0 udp4/7001/7002
icmp_echo_trunc        1 - 0 1 -
icmp_type_unknown      1 - 0 1 -
icmp_reply_alone       1 - 1 0 -
icmp_err_inner_short   1 - 0 1 -
icmp_err_inner_ihl4    1 - 0 1 -
icmp_err_inner_ihl_past 1 - 0 1 -
icmp_err_inner_noports 1 - 0 1 -
icmp_err_no_flow       1 - 0 1 -
icmp_err_about_err     1 - 0 1 -
# Errors about udp_empty's flow: RELATED, nothing counted; only its
# ports need to be quoted; sent to another address, an error.
icmp_err_related       1 - 0 0 -
icmp_err_related_ports_only 1 - 0 0 -
icmp_err_wrong_dst     1 - 0 1 -
v6_rthdr_past_end      1 - 1 0 -
# nf does not check that the headers fit (ipv6_skip_exthdr) and tracks
# the payload-less packet as protocol 254; rct counts it invalid.
v6_dstopt_past_end_gen 1 - 1 0 - 0 0 gen6/254
v6_chain_long          1 - 0 0 udp6/7401/7402
v6_chain_endless       1 - 1 0 -
v6_chain_nonext        1 - 1 0 -
v6_plen0               1 - 1 0 -
v6_plen0_hbh           1 - 0 0 udp6/7412/7413
v6_udp_empty           1 - 0 0 udp6/7420/7421
v6_tcp_trunc12         1 - 1 0 -
v6_icmp_echo_trunc     1 - 0 1 -
v6_icmp_err_inner_short 1 - 0 1 -
v6_icmp_err_no_flow    1 - 0 1 -
v6_icmp_err_related    1 - 0 0 -
v6_icmp_err_wrong_dst  1 - 0 1 -
# nf's defragmentation (priority -400) reassembles before rct's hook, and
# holds a lone fragment: no hook after it sees one.
v4_frags_whole         1 - 0 0 udp4/7205/7206
v4_frag_rest_held      0 0 0 0 -
v6_frags_whole         1 - 0 0 udp6/7305/7306
v6_frag_rest_held      0 0 0 0 -
# A first fragment without its UDP header: nf_defrag lets it through.
v6_frag_no_l4          1 - 1 0 -
CASES

log "$ncases cases, ${SECONDS}s"
exec {TX[1]}>&-
splats=$(dmesg_splats)
[ -z "$splats" ] && pass "no kernel warning" || fail "kernel log: $splats"
exit $ret

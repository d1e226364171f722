#include "engine/network/ruleset.h"

#include <nftables/libnftables.h>

#include <memory>

namespace hull::engine::network {

using base::Status;

std::string RenderRemoval() {
  // Declaring the table first makes the delete succeed when it does not exist yet.
  return std::string("table ip ") + kNftTable + " {}\ndelete table ip " + kNftTable + "\n";
}

std::string RenderRuleset(const std::string& bridge, const Ipv4Net& subnet,
                          const std::map<std::string, Endpoint>& endpoints) {
  std::string quoted = "\"" + bridge + "\"";
  std::string net = subnet.ToString();
  std::string s = RenderRemoval();
  s += std::string("table ip ") + kNftTable + " {\n";
  s += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
       "    fib daddr type local jump publish\n  }\n";
  s += "  chain output {\n    type nat hook output priority -100; policy accept;\n"
       "    fib daddr type local jump publish\n  }\n";
  s += "  chain publish {\n";
  for (const auto& [id, e] : endpoints) {
    for (const auto& p : e.ports) {
      s += "    ";
      if (!p.host_ip.empty()) s += "ip daddr " + p.host_ip + " ";
      s += p.protocol + " dport " + std::to_string(p.host_port) + " dnat to " + FormatIpv4(e.address) +
           ":" + std::to_string(p.container_port) + " comment \"" + id.substr(0, 12) + "\"\n";
    }
  }
  s += "  }\n";
  s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  s += "    ip saddr " + net + " oifname != " + quoted + " masquerade\n";
  s += "    oifname " + quoted + " ip saddr 127.0.0.0/8 masquerade\n";
  s += "    oifname " + quoted + " ip saddr " + net + " ct status dnat masquerade\n";
  s += "  }\n}\n";
  return s;
}

Status ApplyNft(const std::string& script) {
  std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx(nft_ctx_new(NFT_CTX_DEFAULT), nft_ctx_free);
  if (!ctx) return Status::Error("nft: cannot create a context");
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  if (nft_run_cmd_from_buffer(ctx.get(), script.c_str()) != 0) {
    std::string err = nft_ctx_get_error_buffer(ctx.get());
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Status::Error("nftables refused hull's rules: " + err);
  }
  return Status::Ok();
}

}  // namespace hull::engine::network

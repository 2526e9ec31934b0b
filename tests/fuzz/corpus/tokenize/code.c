// A bit of everything a chunk of code holds.
import { readFileSync } from "node:fs";
export class HTTPServerConfig extends BaseConfig {
	constructor(maxConnections = 128, useTLS = true) {
		super("http-server");
		this.maxConnections = maxConnections;
		this.__private_key__ = null;
	}
	parseXMLHttpRequest(req) { return req.getHeader("X-Request-ID") ?? "0x1F"; }
}
static int sha256_update(struct sha256_ctx *ctx, const uint8_t *p, size_t n);
def get_user_by_id(self, user_id: int) -> "User":  # UserById, user-by-id
    return self.users[user_id]
std::vector<std::string> v; os.path.join(a, b); x86_64/utf8.c --max-output=10
Größe ÜberGröße naïve café ΟΔΟΣ Привет 数据库 İstanbul µs

-- Written by hand. Heartbeat (push) monitors: the secret push URL of each (only a SHA-256 of its token,
-- and the last four characters to tell URLs apart), since when pushes are expected, and the newest push.
-- The producer judges each slot from this row; a monitor of another kind has none.
CREATE TABLE "heartbeats" (
	"monitor_id" uuid PRIMARY KEY NOT NULL REFERENCES "monitors"("id") ON DELETE CASCADE,
	"token_hash" text NOT NULL,
	"token_hint" text NOT NULL,
	"armed_at" timestamp with time zone NOT NULL,
	"last_push_at" timestamp with time zone,
	"last_status" text,
	"last_message" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "heartbeats_token_hash_key" ON "heartbeats" USING btree ("token_hash");

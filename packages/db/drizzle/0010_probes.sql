-- Written by hand. Remote probes: a region's checks run by a process anywhere that connects out to the
-- instance with its token. Only a SHA-256 of the token is kept (192 random bits), and its last four
-- characters to tell tokens apart. Connection facts (version, clock offset, pace) are refreshed by the
-- API process that holds the probe's connection.
CREATE TABLE "probes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"region" text NOT NULL,
	"token_hash" text NOT NULL,
	"token_hint" text NOT NULL,
	"created_by" uuid REFERENCES "users"("id") ON DELETE SET NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"connected" boolean DEFAULT false NOT NULL,
	"last_seen_at" timestamp with time zone,
	"version" text,
	"clock_offset_ms" double precision,
	"checks_per_second" double precision,
	"lag_ms" double precision
);
--> statement-breakpoint
CREATE UNIQUE INDEX "probes_token_hash_key" ON "probes" USING btree ("token_hash");

-- Written by hand. The slots a scheduler claimed and has not yet published: written in the claiming
-- transaction, deleted after the publish. A row left behind belongs to a scheduler that died in between,
-- and another publishes its slots (republishAbandonedClaims), so no slot is lost.
CREATE TABLE "scheduler_claims" (
	"id" uuid PRIMARY KEY NOT NULL,
	-- [[monitor id, slot epoch ms], ...]
	"slots" jsonb NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "scheduler_claims_claimed_at_idx" ON "scheduler_claims" USING btree ("claimed_at");

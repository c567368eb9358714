-- Written by hand. Tags on monitors: a short list of labels per monitor (at most 10, validated by the
-- API), kept as an array on the row so the overview reads them with the monitor and filters by one with
-- the GIN index (`tags @> ARRAY[tag]`). BENCHMARKS.md compares this with a join table at 100,000 monitors.
ALTER TABLE "monitors" ADD COLUMN "tags" text[] DEFAULT '{}'::text[] NOT NULL;
--> statement-breakpoint
CREATE INDEX "monitors_tags_idx" ON "monitors" USING gin ("tags");
--> statement-breakpoint
-- The overview ranks all of a user's monitors for each page (by state, name, search, tag): the index on
-- (user_id, id) now carries the columns it reads, so that is an index-only scan, not a read of every row.
DROP INDEX "monitors_user_id_idx";
--> statement-breakpoint
CREATE INDEX "monitors_user_id_idx" ON "monitors" USING btree ("user_id", "id") INCLUDE ("name", "target", "paused", "tags");

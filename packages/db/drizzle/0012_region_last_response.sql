-- Written by hand. Each region's newest check keeps its response time beside its slot (written with the
-- state in the results transaction), so the overview sorts by response from region_states instead of
-- probing every monitor's newest row across the window's daily partitions of check_results.
ALTER TABLE "region_states" ADD COLUMN "last_response_ms" integer;
--> statement-breakpoint
UPDATE "region_states" s SET "last_response_ms" = r."response_time_ms"
FROM "check_results" r
WHERE r."monitor_id" = s."monitor_id" AND r."region" = s."region" AND r."scheduled_at" = s."last_slot_at";

-- Monitor kinds: a monitor is a kind and that kind's settings (one jsonb value, defined by the checker),
-- beside the common columns. Existing monitors become kind http with their settings unchanged; `target`
-- is what is checked as people read it (for http the URL).
ALTER TABLE "monitors" ADD COLUMN "kind" text DEFAULT 'http' NOT NULL;--> statement-breakpoint
ALTER TABLE "monitors" ADD COLUMN "settings" jsonb;--> statement-breakpoint
ALTER TABLE "monitors" ADD COLUMN "target" text;--> statement-breakpoint
UPDATE "monitors" SET
  "settings" = jsonb_build_object(
    'url', "url",
    'method', "method"::text,
    'expectedStatus', to_jsonb("expected_status"),
    'keyword', "keyword",
    'keywordMode', "keyword_mode"::text,
    'followRedirects', "follow_redirects"),
  "target" = "url";--> statement-breakpoint
ALTER TABLE "monitors" ALTER COLUMN "settings" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "monitors" ALTER COLUMN "target" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "monitors" ALTER COLUMN "kind" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "monitors" DROP COLUMN "url";--> statement-breakpoint
ALTER TABLE "monitors" DROP COLUMN "method";--> statement-breakpoint
ALTER TABLE "monitors" DROP COLUMN "expected_status";--> statement-breakpoint
ALTER TABLE "monitors" DROP COLUMN "keyword";--> statement-breakpoint
ALTER TABLE "monitors" DROP COLUMN "keyword_mode";--> statement-breakpoint
ALTER TABLE "monitors" DROP COLUMN "follow_redirects";--> statement-breakpoint
DROP TYPE "public"."http_method";--> statement-breakpoint
DROP TYPE "public"."keyword_mode";--> statement-breakpoint
-- Failure reasons belong to the checker: stored as text, so a new reason needs no migration.
ALTER TABLE "check_results" ALTER COLUMN "reason" SET DATA TYPE text USING "reason"::text;--> statement-breakpoint
DROP TYPE "public"."failure_reason";--> statement-breakpoint
-- What is particular to a kind's result (DNS answers, certificate issuer, degraded, ...).
ALTER TABLE "check_results" ADD COLUMN "details" jsonb;

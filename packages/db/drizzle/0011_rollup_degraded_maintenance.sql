-- Rollups carry degraded checks (Up, flagged degraded in details) and checks whose slot fell in a planned
-- maintenance window (and how many of those were up), so long windows can leave maintenance out of uptime.
-- Existing rows get 0 and are filled as their hours are rolled again.
ALTER TABLE "check_rollups" ADD COLUMN "degraded" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "check_rollups" ADD COLUMN "maintenance_checks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "check_rollups" ADD COLUMN "maintenance_up" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- The key carries what uptime reads, so today's hourly rows stay an index-only scan for the uptime bars.
ALTER TABLE "check_rollups" DROP CONSTRAINT "check_rollups_pkey";--> statement-breakpoint
ALTER TABLE "check_rollups" ADD CONSTRAINT "check_rollups_pkey" PRIMARY KEY ("monitor_id","period","starts_at","region") INCLUDE ("checks","up","maintenance_checks","maintenance_up");--> statement-breakpoint
-- One row per monitor and UTC day, every region together: what a status page's 90 bars of many monitors
-- read, half the rows of the per-region days, all in the key (index-only).
CREATE TABLE "uptime_days" (
	"monitor_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"checks" integer NOT NULL,
	"up" integer NOT NULL,
	"degraded" integer NOT NULL,
	"maintenance_checks" integer NOT NULL,
	"maintenance_up" integer NOT NULL,
	CONSTRAINT "uptime_days_pkey" PRIMARY KEY("monitor_id","starts_at") INCLUDE ("checks","up","maintenance_checks","maintenance_up")
);
--> statement-breakpoint
ALTER TABLE "uptime_days" ADD CONSTRAINT "uptime_days_monitor_id_monitors_id_fk" FOREIGN KEY ("monitor_id") REFERENCES "public"."monitors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "uptime_days_starts_at_idx" ON "uptime_days" USING btree ("starts_at");--> statement-breakpoint
INSERT INTO "uptime_days" ("monitor_id", "starts_at", "checks", "up", "degraded", "maintenance_checks", "maintenance_up")
  SELECT "monitor_id", "starts_at", sum("checks")::int, sum("up")::int, 0, 0, 0
  FROM "check_rollups" WHERE "period" = 'day' GROUP BY 1, 2;

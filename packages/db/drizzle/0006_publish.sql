-- Written by hand. Hourly and daily aggregates of check results per monitor and region, kept for
-- ROLLUP_RETENTION_DAYS whatever the raw results' retention; long windows read these instead of raw rows.
CREATE TABLE "check_rollups" (
	"monitor_id" uuid NOT NULL,
	"region" text NOT NULL,
	"period" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"checks" integer NOT NULL,
	"up" integer NOT NULL,
	"responses" integer NOT NULL,
	"response_ms_sum" bigint NOT NULL,
	"response_ms_max" integer,
	"dns_ms_sum" bigint NOT NULL,
	"dns_count" integer NOT NULL,
	"connect_ms_sum" bigint NOT NULL,
	"connect_count" integer NOT NULL,
	"tls_ms_sum" bigint NOT NULL,
	"tls_count" integer NOT NULL,
	"first_byte_ms_sum" bigint NOT NULL,
	"first_byte_count" integer NOT NULL,
	"histogram_buckets" integer[] NOT NULL,
	"histogram_counts" integer[] NOT NULL,
	"rolled_at" timestamp with time zone DEFAULT now() NOT NULL,
	-- INCLUDE (checks, up), which drizzle-kit cannot express: uptime bars over many days read the key alone.
	CONSTRAINT "check_rollups_pkey" PRIMARY KEY("monitor_id","period","starts_at","region") INCLUDE ("checks","up"),
	CONSTRAINT "check_rollups_period_check" CHECK ("check_rollups"."period" IN ('hour','day'))
);
--> statement-breakpoint
ALTER TABLE "check_rollups" ADD CONSTRAINT "check_rollups_monitor_id_monitors_id_fk" FOREIGN KEY ("monitor_id") REFERENCES "public"."monitors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "check_rollups_starts_at_idx" ON "check_rollups" USING btree ("starts_at");--> statement-breakpoint
CREATE TABLE "rollup_progress" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"rolled_to" timestamp with time zone NOT NULL,
	CONSTRAINT "rollup_progress_single_row" CHECK ("rollup_progress"."id")
);
--> statement-breakpoint
ALTER TABLE "monitors" ADD COLUMN "public_badges" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
CREATE TABLE "status_pages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"slug" text NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"sections" jsonb NOT NULL,
	"show" jsonb NOT NULL,
	"published" boolean DEFAULT true NOT NULL,
	"custom_domain" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "status_pages" ADD CONSTRAINT "status_pages_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "status_pages_slug_key" ON "status_pages" USING btree ("slug");--> statement-breakpoint
CREATE UNIQUE INDEX "status_pages_custom_domain_key" ON "status_pages" USING btree ("custom_domain");--> statement-breakpoint
CREATE INDEX "status_pages_user_idx" ON "status_pages" USING btree ("user_id","id" DESC NULLS LAST);
--> statement-breakpoint
CREATE TABLE "incident_updates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text NOT NULL,
	"message" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "incident_updates_status_check" CHECK ("incident_updates"."status" IN ('investigating','identified','monitoring','resolved'))
);
--> statement-breakpoint
ALTER TABLE "incident_updates" ADD CONSTRAINT "incident_updates_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_updates" ADD CONSTRAINT "incident_updates_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "incident_updates_incident_idx" ON "incident_updates" USING btree ("incident_id","created_at");

CREATE TYPE "public"."check_status" AS ENUM('Up', 'Down');--> statement-breakpoint
CREATE TYPE "public"."failure_reason" AS ENUM('dns', 'connect', 'tls', 'timeout', 'http_status', 'keyword', 'redirects', 'protocol', 'too_large');--> statement-breakpoint
CREATE TYPE "public"."http_method" AS ENUM('GET', 'HEAD');--> statement-breakpoint
CREATE TYPE "public"."keyword_mode" AS ENUM('present', 'absent');--> statement-breakpoint
CREATE TABLE "check_results" (
	"monitor_id" uuid NOT NULL,
	"region" text NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	"status" "check_status" NOT NULL,
	"response_time_ms" integer NOT NULL,
	"status_code" integer,
	"reason" "failure_reason",
	"message" text,
	"dns_ms" integer,
	"connect_ms" integer,
	"tls_ms" integer,
	"first_byte_ms" integer,
	"cert_expires_at" timestamp with time zone,
	CONSTRAINT "check_results_pkey" PRIMARY KEY("monitor_id","region","scheduled_at")
) PARTITION BY RANGE ("scheduled_at");
--> statement-breakpoint
-- Daily partitions are created ahead by the maintenance step; the default partition keeps any result whose
-- day has no partition yet (a far-off clock), so nothing is ever rejected.
CREATE TABLE "check_results_default" PARTITION OF "check_results" DEFAULT;
--> statement-breakpoint
CREATE TABLE "monitors" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"interval_seconds" integer DEFAULT 180 NOT NULL,
	"timeout_ms" integer DEFAULT 30000 NOT NULL,
	"method" "http_method" DEFAULT 'GET' NOT NULL,
	"expected_status" text[] DEFAULT '{200-299}'::text[] NOT NULL,
	"keyword" text,
	"keyword_mode" "keyword_mode" DEFAULT 'present' NOT NULL,
	"follow_redirects" boolean DEFAULT true NOT NULL,
	"regions" text[] DEFAULT '{}'::text[] NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"next_check_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "check_results" ADD CONSTRAINT "check_results_monitor_id_monitors_id_fk" FOREIGN KEY ("monitor_id") REFERENCES "public"."monitors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "monitors" ADD CONSTRAINT "monitors_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "check_results_monitor_time_idx" ON "check_results" USING btree ("monitor_id","scheduled_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "monitors_user_id_idx" ON "monitors" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "monitors_due_idx" ON "monitors" USING btree ("next_check_at") WHERE NOT "monitors"."paused";--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower_key" ON "users" USING btree (lower("email"));
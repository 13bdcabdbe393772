/** Objection models: typed rows over the tables the migrations create. Columns keep their SQL names. */
import { Model, type RelationMappings } from 'objection';

export class BaseModel extends Model {
  static override get modelPaths(): string[] {
    return [__dirname];
  }

  /**
   * Relations fetched one query at a time. Every query runs in a tenant transaction (row-level security), on that
   * transaction's one connection: objection's default of 4 at once only queued them in the driver, which pg
   * deprecates (it will refuse a query while another runs on the client, pg@9).
   */
  static concurrency = 1;
}

export class TenantModel extends BaseModel {
  static override tableName = 'tenants';
  static override jsonAttributes = ['settings'];
  id!: string;
  slug!: string;
  name!: string;
  tier!: string;
  settings!: Record<string, unknown>;
  is_active!: boolean;
  created_at!: Date;
  updated_at!: Date;
}

export class TicketModel extends BaseModel {
  static override tableName = 'tickets';
  static override jsonAttributes = ['metadata', 'sla_clocks'];
  id!: string;
  tenant_id!: string;
  external_id!: string | null;
  title!: string;
  content!: string;
  requester_email!: string | null;
  status!: string;
  priority!: string;
  priority_pinned!: boolean;
  customer_tier!: string;
  category!: string | null;
  source!: string;
  assignee!: string | null;
  escalation_level!: number;
  reopen_count!: number;
  metadata!: Record<string, unknown>;
  created_by!: string;
  idempotency_key!: string | null;
  request_hash!: string | null;
  workflow_id!: string;
  workflow_started_at!: Date | null;
  sla_state!: string;
  sla_clocks!: unknown;
  sla_due_at!: Date | null;
  first_response_at!: Date | null;
  resolved_at!: Date | null;
  closed_at!: Date | null;
  created_at!: Date;
  updated_at!: Date;

  triage_results?: TriageResultModel[];
  messages?: MessageModel[];
  sla_events?: SlaEventModel[];
  external_refs?: ExternalRefModel[];
  sync_logs?: SyncLogModel[];

  static override get relationMappings(): RelationMappings {
    const hasMany = (modelClass: typeof BaseModel, table: string): RelationMappings[string] => ({
      relation: Model.HasManyRelation,
      modelClass,
      join: { from: 'tickets.id', to: `${table}.ticket_id` },
    });
    return {
      triage_results: hasMany(TriageResultModel, 'triage_results'),
      messages: hasMany(MessageModel, 'messages'),
      sla_events: hasMany(SlaEventModel, 'sla_events'),
      external_refs: hasMany(ExternalRefModel, 'ticket_external_refs'),
      sync_logs: hasMany(SyncLogModel, 'integration_sync_logs'),
    };
  }
}

export class TriageResultModel extends BaseModel {
  static override tableName = 'triage_results';
  static override jsonAttributes = ['citations', 'passages'];
  id!: string;
  ticket_id!: string;
  tenant_id!: string;
  run_id!: string;
  category!: string;
  urgency!: string;
  suggested_priority!: string;
  sentiment!: number;
  product!: string;
  language!: string;
  confidence!: number;
  reasoning!: string;
  draft_reply!: string;
  citations!: string[];
  passages!: unknown[];
  model_used!: string;
  latency_ms!: number;
  prompt_tokens!: number;
  completion_tokens!: number;
  is_current!: boolean;
  created_at!: Date;
}

export class MessageModel extends BaseModel {
  static override tableName = 'messages';
  static override jsonAttributes = ['metadata'];
  id!: string;
  ticket_id!: string;
  tenant_id!: string;
  author_type!: string;
  author_id!: string | null;
  body!: string;
  is_public!: boolean;
  event_id!: string | null;
  metadata!: Record<string, unknown>;
  created_at!: Date;
}

export class SlaEventModel extends BaseModel {
  static override tableName = 'sla_events';
  id!: string;
  ticket_id!: string;
  tenant_id!: string;
  clock!: string;
  kind!: string;
  threshold!: number;
  cycle!: number;
  due_at!: Date;
  deadline!: Date;
  fired_at!: Date;
  remaining_seconds!: number;
  priority!: string;
  escalation_level!: number;
  notification_status!: string;
  notification_sent_at!: Date | null;
  created_at!: Date;
}

export class ExternalRefModel extends BaseModel {
  static override tableName = 'ticket_external_refs';
  static override jsonAttributes = ['metadata'];
  id!: string;
  tenant_id!: string;
  ticket_id!: string;
  system!: string;
  external_id!: string;
  external_url!: string | null;
  external_status!: string | null;
  metadata!: Record<string, unknown>;
  created_at!: Date;
  updated_at!: Date;
}

export class SyncLogModel extends BaseModel {
  static override tableName = 'integration_sync_logs';
  static override jsonAttributes = ['metadata'];
  id!: string;
  tenant_id!: string;
  ticket_id!: string | null;
  system!: string;
  direction!: string;
  operation!: string;
  status!: string;
  attempts!: number;
  records_processed!: number;
  error_message!: string | null;
  duration_ms!: number | null;
  started_at!: Date;
  completed_at!: Date | null;
  metadata!: Record<string, unknown>;
}

export class AuditEntryModel extends BaseModel {
  static override tableName = 'audit_log';
  static override jsonAttributes = ['changes'];
  id!: string;
  tenant_id!: string;
  ticket_id!: string | null;
  actor_type!: string;
  actor_id!: string;
  action!: string;
  from_status!: string | null;
  to_status!: string | null;
  changes!: Record<string, unknown>;
  event_id!: string | null;
  created_at!: Date;
}

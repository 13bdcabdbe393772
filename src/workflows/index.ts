export { agentRunWorkflow } from './agent-run';
export { applySlaPolicyWorkflow } from './apply-sla-policy';
export { fitKbModelWorkflow, fitKbTenantWorkflow } from './fit-kb-model';
export { ingestDocumentWorkflow } from './ingest-document';
export { ticketWorkflow, ticketWorkflowV2, ticketWorkflowV3, ticketWorkflowV4 } from './ticket';

export { applySlaPolicyWorkflow } from './apply-sla-policy';
export { ticketWorkflow } from './ticket';

import { inboundChange } from '../../src/domain/inbound-change';

test('a change in the ITSM tool maps to one action on the ticket, or none', () => {
  const comment = { body: 'Looked at it', isPublic: false };
  expect(inboundChange({ kind: 'comment_added', comment }, 'open', 'jira')).toEqual({
    action: 'comment',
    ...comment,
  });
  expect(inboundChange({ kind: 'comment_added' }, 'open', 'jira')).toBeNull();
  expect(inboundChange({ kind: 'resolved' }, 'open', 'zendesk')).toEqual({
    action: 'resolve',
    reason: 'resolved in zendesk',
  });
  expect(inboundChange({ kind: 'status_changed', mappedStatus: 'closed' }, 'resolved', 'jira')).toEqual({
    action: 'close',
    reason: 'closed in jira',
  });
  // Back to work in the tool reopens only a resolved ticket.
  expect(inboundChange({ kind: 'status_changed', mappedStatus: 'in_progress' }, 'resolved', 'jira')).toEqual({
    action: 'reopen',
    reason: 'reopened in jira',
  });
  expect(inboundChange({ kind: 'status_changed', mappedStatus: 'in_progress' }, 'open', 'jira')).toBeNull();
  expect(inboundChange({ kind: 'status_changed', mappedStatus: null }, 'open', 'jira')).toBeNull();
  expect(inboundChange({ kind: 'ignored' }, 'open', 'jira')).toBeNull();
});

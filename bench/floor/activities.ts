/** The floor's one activity: it does nothing, so what a workflow of them costs is Temporal's own cost. */
export const floorActivities = {
  async step(i: number): Promise<number> {
    return i;
  },
};
